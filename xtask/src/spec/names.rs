//! The Rust names the generator derives from spec names. The generator
//! (`codegen::rust`) and the checker call the same functions, so the checker
//! sees exactly the identifiers that will be written and can refuse a spec
//! whose generated names collide, shadow or are keywords.

use heck::{ToSnakeCase, ToUpperCamelCase};

/// The enum variant of a spec name (code, user action, retry class, family).
pub fn variant(name: &str) -> String {
    name.to_upper_camel_case()
}

/// The struct field of an envelope field's wire name, `r#`-escaped if it is
/// a keyword (see [`field_is_reserved`] for those that cannot be escaped).
pub fn field(wire: &str) -> String {
    let snake = wire.to_snake_case();
    if is_keyword(&snake) {
        format!("r#{snake}")
    } else {
        snake
    }
}

/// Keywords that cannot be raw identifiers: no `r#` makes them a field name.
pub fn field_is_reserved(wire: &str) -> bool {
    matches!(
        wire.to_snake_case().as_str(),
        "self" | "crate" | "super" | "Self"
    )
}

/// The alias of a generic envelope for one of its families.
pub fn alias(family: &str, envelope_rust_name: &str) -> String {
    format!("{}{envelope_rust_name}", family.to_upper_camel_case())
}

/// The error enum of one operation (`CreateLicenses` -> `CreateLicensesError`).
pub fn operation_enum(operation: &str) -> String {
    format!("{operation}Error")
}

/// The enum of the codes every operation of a family answers unless it opts
/// out (`ApiError` -> `ApiErrorDefaults`).
pub fn defaults_enum(family_rust_name: &str) -> String {
    format!("{family_rust_name}Defaults")
}

/// The module of a family's code markers: one unit struct per code, which
/// converts into every operation error that may answer it (`api_codes`).
pub fn code_module(family: &str) -> String {
    format!("{}_codes", family.to_snake_case())
}

/// Whether `name` is an UpperCamelCase ASCII identifier (`CreateLicenses`).
pub fn is_type_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
}

/// The static table of a family's codes.
pub fn table(family: &str) -> String {
    format!("{}_ERRORS", family.to_uppercase())
}

/// The static table of every operation.
pub const OPERATIONS_TABLE: &str = "OPERATIONS";

/// The variant that holds a code this version does not know.
pub const UNKNOWN_VARIANT: &str = "Unknown";

/// Type names the generated module (or the crate root, which re-exports it
/// with a glob) already uses, with where they come from. A family or
/// envelope of one of these names would shadow it or be shadowed.
pub const RESERVED_TYPES: &[(&str, &str)] = &[
    ("UserAction", "the generated enum of user actions"),
    (
        "Locale",
        "the generated enum of locales (feature `locales`)",
    ),
    ("RetryClass", "the generated enum of retry classes"),
    ("Family", "the generated enum of families"),
    ("Duration", "imported from std::time"),
    ("ErrorInfo", "imported from the crate's family module"),
    ("FamilyInfo", "imported from the crate's family module"),
    ("UnknownCode", "imported from the crate's family module"),
    ("UnknownName", "imported from the crate's name module"),
    (
        "OperationInfo",
        "imported from the crate's operation module",
    ),
    ("CodeVisitor", "imported from the crate's family module"),
    (
        "ErrorCode",
        "the trait of every family, imported from the crate root",
    ),
    ("Failed", "imported from the crate's envelope module"),
    ("FieldError", "imported from the crate's envelope module"),
    ("Jitter", "imported from the crate's retry module"),
    ("RateLimit", "imported from the crate's retry module"),
    ("RetryPolicy", "imported from the crate's retry module"),
    (
        "ApiErrorResponse",
        "the axum response type, at the crate root",
    ),
    ("E", "the type parameter of envelopes with several families"),
    // The prelude names the generated code uses unqualified.
    ("Option", "the std prelude"),
    ("Some", "the std prelude"),
    ("None", "the std prelude"),
    ("Result", "the std prelude"),
    ("Ok", "the std prelude"),
    ("Err", "the std prelude"),
    ("String", "the std prelude"),
    ("Vec", "the std prelude"),
    ("Box", "the std prelude"),
    ("From", "the std prelude"),
    ("Into", "the std prelude"),
    ("Iterator", "the std prelude"),
    ("ExactSizeIterator", "the std prelude"),
    ("Clone", "the std prelude"),
    ("Copy", "the std prelude"),
    ("Send", "the std prelude"),
    ("Sync", "the std prelude"),
    ("Sized", "the std prelude"),
    ("Default", "the std prelude"),
    ("PartialEq", "the std prelude"),
    ("Eq", "the std prelude"),
    ("PartialOrd", "the std prelude"),
    ("Ord", "the std prelude"),
    ("ToString", "the std prelude"),
    ("ToOwned", "the std prelude"),
    ("AsRef", "the std prelude"),
    ("AsMut", "the std prelude"),
    ("TryFrom", "the std prelude"),
    ("TryInto", "the std prelude"),
    ("Drop", "the std prelude"),
    ("Fn", "the std prelude"),
    ("FnMut", "the std prelude"),
    ("FnOnce", "the std prelude"),
    ("IntoIterator", "the std prelude"),
    ("FromIterator", "the std prelude"),
    ("Extend", "the std prelude"),
    ("DoubleEndedIterator", "the std prelude"),
    ("Unpin", "the std prelude"),
    ("Future", "the std prelude"),
    ("IntoFuture", "the std prelude"),
];

/// Where a reserved type name comes from, if it is one.
pub fn reserved_type(name: &str) -> Option<&'static str> {
    RESERVED_TYPES
        .iter()
        .find(|(reserved, _)| *reserved == name)
        .map(|(_, why)| *why)
}

/// Strict and reserved keywords of Rust 2024 (weak keywords such as `union`
/// are ordinary identifiers where the generator puts names).
pub fn is_keyword(name: &str) -> bool {
    matches!(
        name,
        "as" | "break"
            | "const"
            | "continue"
            | "crate"
            | "else"
            | "enum"
            | "extern"
            | "false"
            | "fn"
            | "for"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "pub"
            | "ref"
            | "return"
            | "self"
            | "Self"
            | "static"
            | "struct"
            | "super"
            | "trait"
            | "true"
            | "type"
            | "unsafe"
            | "use"
            | "where"
            | "while"
            | "async"
            | "await"
            | "dyn"
            | "abstract"
            | "become"
            | "box"
            | "do"
            | "final"
            | "macro"
            | "override"
            | "priv"
            | "typeof"
            | "unsized"
            | "virtual"
            | "yield"
            | "try"
            | "gen"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_the_checker_must_see() {
        assert_eq!(variant("a1"), variant("a_1"));
        assert_eq!(variant("network_error2"), variant("network_error_2"));
        assert_eq!(variant("self"), "Self");
        assert_eq!(field("fooBar"), field("fooBAR"));
        assert_eq!(field("type"), "r#type");
        assert_eq!(field("gen"), "r#gen");
        assert!(field_is_reserved("self") && field_is_reserved("crate"));
        assert!(!field_is_reserved("type"));
        assert_eq!(alias("api", "Error"), "ApiError");
        // Every raw identifier the generator writes parses as one.
        for keyword in ["type", "fn", "match", "ref", "async", "gen", "try"] {
            syn::parse_str::<syn::Ident>(&field(keyword)).expect(keyword);
        }
    }
}
