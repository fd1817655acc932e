//! uniffi's generator, pinned to the uniffi version the library is built with (a separately
//! installed `uniffi-bindgen` of another version would read the library's metadata wrongly).
//! Run by `bindings/generate.sh`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
