//! The one look of Ordera's apps, as CSS variables and a few element rules. Large text and high contrast
//! are classes on the root element, so every screen honours them.

/// Put once in the page (the apps inject it on start).
pub const CSS: &str = r#"
:root {
  --bg: #faf7f2; --surface: #ffffff; --ink: #1f1a17; --muted: #6b625b; --line: #e7dfd6;
  --brand: #c2410c; --brand-ink: #ffffff; --ok: #15803d; --warn: #b45309; --bad: #b91c1c;
  --radius: 18px; --gap: 16px; --font: 18px; --touch: 64px;
  --shadow: 0 2px 10px rgba(31, 26, 23, 0.08);
}
:root.large-text { --font: 24px; --touch: 80px; }
:root.high-contrast { --bg: #000; --surface: #000; --ink: #fff; --muted: #ddd; --line: #fff;
  --brand: #ffd400; --brand-ink: #000; --shadow: none; }
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; background: var(--bg); color: var(--ink);
  font: var(--font)/1.35 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
button { font: inherit; }
:focus-visible { outline: 4px solid var(--brand); outline-offset: 3px; }
.btn { min-height: var(--touch); padding: 0 28px; border-radius: var(--radius); border: 2px solid transparent;
  font-weight: 700; cursor: pointer; }
.btn-primary { background: var(--brand); color: var(--brand-ink); }
.btn-secondary { background: var(--surface); color: var(--ink); border-color: var(--line); }
.btn-danger { background: var(--surface); color: var(--bad); border-color: var(--bad); }
.btn:disabled { opacity: 0.45; cursor: default; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 999px; font-size: 0.75em; font-weight: 700;
  background: var(--line); color: var(--ink); margin: 2px; }
:root.high-contrast .badge { background: var(--surface); color: var(--ink); border: 2px solid var(--ink); }
.badge-warn { background: #fde68a; color: #78350f; }
.badge-bad { background: var(--bad); color: #fff; }
.badge-ok { background: var(--ok); color: #fff; }
.pill { display: inline-flex; align-items: center; gap: 8px; padding: 6px 14px; border-radius: 999px;
  background: var(--surface); border: 2px solid var(--line); font-size: 0.8em; }
.dot { width: 12px; height: 12px; border-radius: 50%; }
.dot-online { background: var(--ok); } .dot-offline { background: var(--bad); } .dot-connecting { background: var(--warn); }
.surface-card { background: var(--surface); border: 2px solid var(--line); border-radius: var(--radius);
  box-shadow: var(--shadow); padding: 14px 18px; }
.toast { position: fixed; bottom: 20px; left: 50%; transform: translateX(-50%); background: var(--ink);
  color: var(--bg); padding: 12px 20px; border-radius: 12px; box-shadow: var(--shadow); max-width: 80%;
  z-index: 60; cursor: pointer; }
.topbar { display: flex; align-items: center; justify-content: space-between; gap: var(--gap);
  padding: 12px 24px; background: var(--surface); border-bottom: 2px solid var(--line); }
.topbar h1 { font-size: 1.2em; margin: 0; }
.center { flex: 1; display: flex; flex-direction: column; align-items: center; justify-content: center; gap: 24px;
  text-align: center; padding: 24px; }
.form { display: flex; flex-direction: column; gap: 14px; width: min(560px, 100%); }
.form input, .form textarea { font: inherit; padding: 14px; border-radius: 12px; border: 2px solid var(--line);
  background: var(--surface); color: var(--ink); }
.error { color: var(--bad); font-weight: 700; }
.app-version { color: var(--muted); font-size: 0.75em; margin: 0; }
.dialog-backdrop { position: fixed; inset: 0; background: rgba(0,0,0,0.45); display: flex;
  align-items: center; justify-content: center; z-index: 50; }
.dialog { background: var(--surface); border-radius: var(--radius); padding: 28px; max-width: 720px;
  width: calc(100% - 48px); max-height: calc(100% - 48px); overflow: auto; box-shadow: var(--shadow); }
"#;

/// Applies the theme's root classes.
pub fn apply(large_text: bool, high_contrast: bool) {
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let classes = [("large-text", large_text), ("high-contrast", high_contrast)];
        let list: Vec<&str> = classes.iter().filter(|(_, on)| *on).map(|(name, _)| *name).collect();
        root.set_class_name(&list.join(" "));
    }
}

/// Adds the theme's stylesheet to the page once.
pub fn install() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    if document.get_element_by_id("ordera-theme").is_some() {
        return;
    }
    if let (Ok(style), Some(head)) = (document.create_element("style"), document.head()) {
        style.set_id("ordera-theme");
        style.set_text_content(Some(CSS));
        let _ = head.append_child(&style);
    }
}
