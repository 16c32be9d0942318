//! The operation errors of `crates/errors/src/generated.rs`: for a family
//! that several operations share (`api`), one enum per operation holding only
//! the codes it declares (`CreateLicensesError`), one for the codes the
//! family's defaults give every operation (`ApiErrorDefaults`), and a module
//! of code markers (`api_codes::NotFound`) that convert into every enum that
//! may answer them, so code generic over operations states the codes it needs
//! as `E: From<api_codes::NotFound>`.
//!
//! A family with one operation (`validate`) needs none of this: its family
//! enum already is that operation's error.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::rust::{doc, ident, table_ident, type_ident, variant_doc};
use crate::spec::{ErrorEntry, Family, Operation, Spec, names};

/// The operation errors of every family that has them.
pub fn tokens(spec: &Spec) -> TokenStream {
    let families = spec
        .families
        .iter()
        .filter(|f| spec.has_operation_enums(&f.name))
        .map(|f| family_tokens(spec, f));
    quote!( #(#families)* )
}

fn family_tokens(spec: &Spec, family: &Family) -> TokenStream {
    let family_ty = type_ident(&family.rust_name);
    let module = format_ident!("{}", names::code_module(&family.name));
    let live: Vec<&ErrorEntry> = spec
        .errors_of(&family.name)
        .filter(|e| e.retired.is_none())
        .collect();
    let markers = live.iter().map(|e| {
        let marker = ident(&e.code);
        let text = format!(
            "The code `{}`: converts into [`{}`](super::{0}) and every error of a `{}` operation that declares it.",
            e.code, family.rust_name, family.name
        );
        let doc = doc(&text);
        quote! {
            #doc
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
            pub struct #marker;
            impl From<#marker> for super::#family_ty {
                fn from(_: #marker) -> Self {
                    Self::#marker
                }
            }
        }
    });
    let module_doc = doc(&format!(
        "One marker per live code of family `{}`: a bound `E: From<{}::NotFound>` says that operation error `E` may answer `not_found`.",
        family.name,
        names::code_module(&family.name)
    ));

    let defaults = spec
        .operation_defaults
        .iter()
        .find(|d| d.family == family.name);
    let defaults_ty = type_ident(&names::defaults_enum(&family.rust_name));
    let defaults_enum = defaults.map(|d| {
        let summary = format!(
            "The codes every `{}` operation answers unless it opts out of the family's defaults: what the shared extractors (authentication, body and path parsing) can refuse with.",
            family.name
        );
        enum_tokens(
            spec,
            family,
            &defaults_ty,
            &summary,
            &d.errors,
            None,
        )
    });
    let operations = spec
        .operations
        .iter()
        .enumerate()
        .filter(|(_, op)| op.family == family.name)
        .map(|(index, op)| {
            let ty = type_ident(&names::operation_enum(&op.name));
            let summary = format!(
                "Every code `{} {}` can answer. {}",
                op.method, op.path, op.summary
            );
            let widen = (defaults.is_some() && op.uses_defaults).then(|| {
                let arms = defaults
                    .into_iter()
                    .flat_map(|d| &d.errors)
                    .map(|code| ident(code));
                quote! {
                    impl From<#defaults_ty> for #ty {
                        fn from(error: #defaults_ty) -> Self {
                            match error {
                                #( #defaults_ty::#arms => Self::#arms, )*
                            }
                        }
                    }
                }
            });
            let body = enum_tokens(spec, family, &ty, &summary, &op.errors, Some((index, op)));
            quote!( #body #widen )
        });
    quote! {
        #module_doc
        pub mod #module {
            #(#markers)*
        }
        #defaults_enum
        #(#operations)*
    }
}

/// One operation error enum over `codes` (spec order) of `family`, with its
/// conversions; `operation` is the operation's index in `OPERATIONS`.
fn enum_tokens(
    spec: &Spec,
    family: &Family,
    ty: &syn::Ident,
    summary: &str,
    codes: &[String],
    operation: Option<(usize, &Operation)>,
) -> TokenStream {
    let family_ty = type_ident(&family.rust_name);
    let module = format_ident!("{}", names::code_module(&family.name));
    let table = table_ident(family);
    let entries: Vec<(usize, &ErrorEntry)> = spec
        .errors_of(&family.name)
        .enumerate()
        .filter(|(_, e)| codes.contains(&e.code))
        .collect();
    let variants: Vec<syn::Ident> = entries.iter().map(|(_, e)| ident(&e.code)).collect();
    let variant_docs = entries.iter().map(|(_, e)| doc(&variant_doc(e)));
    let indexes = entries.iter().map(|(i, _)| Literal::usize_unsuffixed(*i));
    let enum_doc = doc(&format!(
        "{summary}\n\n\
         Converts into [`{family}`] with its status, message and body unchanged; \
         [`TryFrom<{family}>`](TryFrom) narrows a family error to this operation's \
         codes (giving it back when the operation does not declare it). \
         `#[non_exhaustive]`: a later spec may add a code to the operation.",
        family = family.rust_name
    ));
    let operation_fn = operation.map(|(index, op)| {
        let index = Literal::usize_unsuffixed(index);
        let text = format!("The spec's declaration of `{}`.", op.route());
        let doc = doc(&text);
        let table = format_ident!("{}", names::OPERATIONS_TABLE);
        quote! {
            #doc
            #[must_use]
            #[inline]
            pub fn operation() -> &'static OperationInfo {
                &#table[#index]
            }
        }
    });
    let http_status = family.http.then(|| {
        quote! {
            #[doc = " The HTTP status the error is sent with."]
            #[must_use]
            #[inline]
            pub const fn http_status(self) -> u16 {
                match self.info().http_status {
                    Some(status) => status,
                    None => 500,
                }
            }
        }
    });
    let v = &variants;
    quote! {
        #enum_doc
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum #ty {
            #( #variant_docs #v, )*
        }
        impl #ty {
            #[doc = " Every code of the enum, in spec order."]
            pub const ALL: &'static [Self] = &[#( Self::#v ),*];
            #[doc = " What the spec says about the code."]
            #[must_use]
            #[inline]
            pub const fn info(self) -> &'static ErrorInfo {
                &#table[match self { #( Self::#v => #indexes, )* }]
            }
            #[doc = " The wire code."]
            #[must_use]
            #[inline]
            pub const fn code(self) -> &'static str {
                self.info().code
            }
            #http_status
            #operation_fn
        }
        impl From<#ty> for #family_ty {
            fn from(error: #ty) -> Self {
                match error { #( #ty::#v => Self::#v, )* }
            }
        }
        impl TryFrom<#family_ty> for #ty {
            type Error = #family_ty;
            fn try_from(error: #family_ty) -> Result<Self, #family_ty> {
                match error {
                    #( #family_ty::#v => Ok(Self::#v), )*
                    other => Err(other),
                }
            }
        }
        impl ::std::fmt::Display for #ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&#family_ty::from(*self), f)
            }
        }
        impl ::std::error::Error for #ty {}
        #(
            impl From<#module::#v> for #ty {
                fn from(_: #module::#v) -> Self {
                    Self::#v
                }
            }
        )*
    }
}
