//! Browser entry point: hydrate the server-rendered page.
// Leptos views are deeply nested types; release wasm builds need more room than the default.
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // Scripts that must not touch the DOM before hydration (`public/charts.js`) wait for this.
    if let Some(root) = leptos::prelude::document().document_element() {
        let _ = root.set_attribute("data-hydrated", "true");
    }
}
