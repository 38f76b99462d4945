//! Money is an integer count of the currency's minor units (pence, cents); never a float.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::validate::ValidationError;

/// An amount in minor units of the restaurant's currency.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = i64))]
pub struct Money(pub i64);

impl Money {
    /// The highest price a single product may have: 100,000.00 in a two-decimal currency.
    pub const MAX_PRICE: i64 = 10_000_000;

    pub const ZERO: Money = Money(0);

    /// A product price: zero (free extras) up to [`Money::MAX_PRICE`].
    pub fn price(minor_units: i64) -> Result<Self, ValidationError> {
        if !(0..=Self::MAX_PRICE).contains(&minor_units) {
            return Err(ValidationError::new(format!("price must be between 0 and {} minor units", Self::MAX_PRICE)));
        }
        Ok(Self(minor_units))
    }

    pub fn minor_units(self) -> i64 {
        self.0
    }

    pub fn checked_mul(self, quantity: i64) -> Option<Money> {
        self.0.checked_mul(quantity).map(Money)
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }
}

/// An ISO 4217 currency. It decides how many decimals a [`Money`] has when shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Currency(iso_currency::Currency);

impl Currency {
    pub fn parse(code: &str) -> Result<Self, ValidationError> {
        iso_currency::Currency::from_code(&code.trim().to_uppercase())
            // Gold, special drawing rights, the testing code and the like are in ISO 4217 too, but have
            // no minor unit: nobody prices a burger in them.
            .filter(|currency| currency.exponent().is_some())
            .map(Self)
            .ok_or_else(|| ValidationError::new("must be an ISO 4217 currency code like GBP or EUR"))
    }

    pub fn code(&self) -> String {
        self.0.code().to_owned()
    }

    /// Digits after the decimal point (2 for GBP, 0 for JPY, 3 for BHD).
    pub fn decimals(&self) -> u32 {
        self.0.exponent().map(u32::from).unwrap_or(0)
    }

    /// "£12.50", "¥1200", "-€3.00". The symbol comes first, as on menus in most markets.
    pub fn format(&self, amount: Money) -> String {
        let decimals = self.decimals();
        let sign = if amount.0 < 0 { "-" } else { "" };
        let abs = amount.0.unsigned_abs();
        let symbol = self.0.symbol().to_string();
        if decimals == 0 {
            return format!("{sign}{symbol}{abs}");
        }
        let scale = 10u64.pow(decimals);
        format!("{sign}{symbol}{}.{:0width$}", abs / scale, abs % scale, width = decimals as usize)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_bounded() {
        assert_eq!(Money::price(1250).unwrap(), Money(1250));
        assert!(Money::price(-1).is_err());
        assert!(Money::price(Money::MAX_PRICE + 1).is_err());
    }

    #[test]
    fn currencies_format_with_their_own_decimals() {
        let gbp = Currency::parse("gbp").unwrap();
        assert_eq!(gbp.code(), "GBP");
        assert_eq!(gbp.format(Money(1250)), "£12.50");
        assert_eq!(gbp.format(Money(5)), "£0.05");
        assert_eq!(gbp.format(Money(-300)), "-£3.00");
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(jpy.decimals(), 0);
        assert!(jpy.format(Money(1200)).ends_with("1200"));
        assert!(Currency::parse("XYZ1").is_err());
    }

    #[test]
    fn codes_without_a_minor_unit_are_not_money_a_menu_can_use() {
        for code in ["XAU", "XXX", "XTS", "XDR"] {
            assert!(Currency::parse(code).is_err(), "{code}");
        }
        assert_eq!(Currency::parse("BHD").unwrap().decimals(), 3);
    }
}
