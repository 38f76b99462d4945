//! The closed sets of the domain. Each has one spelling on the wire and in the database (`as_str`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl FromStr for $name {
            type Err = crate::ValidationError;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                match value {
                    $($text => Ok($name::$variant),)+
                    _ => Err(crate::ValidationError::new(format!(
                        "must be one of: {}",
                        [$($text),+].join(", ")
                    ))),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// What a user may do. Owners and managers run the restaurant; staff work orders only.
    Role {
        Owner => "owner",
        Manager => "manager",
        Staff => "staff",
    }
);

impl Role {
    /// Owners and managers manage users, devices and the menu.
    pub fn can_manage(self) -> bool {
        matches!(self, Role::Owner | Role::Manager)
    }

    /// Whether someone of this role may give `role` to a person, or change a person who has it: only an
    /// owner makes or changes owners; a manager manages managers and staff. The server enforces it and
    /// the admin app offers only what it allows.
    pub fn may_grant(self, role: Role) -> bool {
        self == Role::Owner || role != Role::Owner
    }
}

wire_enum!(
    /// The kind of a paired device; it decides what the device receives and may do.
    DeviceKind {
        Kiosk => "kiosk",
        Kds => "kds",
        Admin => "admin",
    }
);

wire_enum!(
    /// The 14 allergens that EU Regulation 1169/2011 requires food businesses to declare.
    Allergen {
        Celery => "celery",
        Gluten => "gluten",
        Crustaceans => "crustaceans",
        Eggs => "eggs",
        Fish => "fish",
        Lupin => "lupin",
        Milk => "milk",
        Molluscs => "molluscs",
        Mustard => "mustard",
        TreeNuts => "tree_nuts",
        Peanuts => "peanuts",
        Sesame => "sesame",
        Soya => "soya",
        Sulphites => "sulphites",
    }
);

impl Allergen {
    /// The label shown to customers.
    pub fn label(self) -> &'static str {
        match self {
            Allergen::Celery => "Celery",
            Allergen::Gluten => "Cereals containing gluten",
            Allergen::Crustaceans => "Crustaceans",
            Allergen::Eggs => "Eggs",
            Allergen::Fish => "Fish",
            Allergen::Lupin => "Lupin",
            Allergen::Milk => "Milk",
            Allergen::Molluscs => "Molluscs",
            Allergen::Mustard => "Mustard",
            Allergen::TreeNuts => "Tree nuts",
            Allergen::Peanuts => "Peanuts",
            Allergen::Sesame => "Sesame",
            Allergen::Soya => "Soya",
            Allergen::Sulphites => "Sulphur dioxide and sulphites",
        }
    }
}

wire_enum!(
    /// Where an order is in the kitchen.
    OrderStatus {
        Placed => "placed",
        Preparing => "preparing",
        Ready => "ready",
        Completed => "completed",
        Cancelled => "cancelled",
    }
);

wire_enum!(
    /// Eat here or take away.
    OrderType {
        DineIn => "dine_in",
        Takeaway => "takeaway",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_round_trips_through_its_wire_name() {
        for allergen in Allergen::ALL {
            assert_eq!(allergen.as_str().parse::<Allergen>().unwrap(), *allergen);
            let json = serde_json::to_string(allergen).unwrap();
            assert_eq!(json, format!("\"{}\"", allergen.as_str()));
        }
        assert_eq!(Allergen::ALL.len(), 14);
        assert!("manager".parse::<Role>().unwrap().can_manage());
        assert!(!Role::Staff.can_manage());
        assert!("chef".parse::<Role>().is_err());
    }

    #[test]
    fn only_an_owner_makes_or_changes_owners() {
        assert!(Role::Owner.may_grant(Role::Owner));
        assert!(Role::Owner.may_grant(Role::Staff));
        assert!(!Role::Manager.may_grant(Role::Owner));
        assert!(Role::Manager.may_grant(Role::Manager));
        assert!(Role::Manager.may_grant(Role::Staff));
        let granted_by_manager: Vec<Role> = Role::ALL.iter().copied().filter(|r| Role::Manager.may_grant(*r)).collect();
        assert_eq!(granted_by_manager, [Role::Manager, Role::Staff]);
    }
}
