//! Choosing a [`Locale`] for a user: negotiation of their preferred BCP 47
//! tags against the shipped locales, and each locale's fallback chain. The
//! enum and its tables are generated (`generated_locales.rs`).

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use fluent_langneg::{NegotiationStrategy, negotiate_languages};
use unic_langid::LanguageIdentifier;

use crate::{Locale, UnknownName};

/// Every shipped locale's tag, parsed once, in [`Locale::ALL`] order.
static AVAILABLE: LazyLock<Vec<LanguageIdentifier>> = LazyLock::new(|| {
    Locale::ALL
        .iter()
        .map(|locale| {
            locale
                .tag()
                .parse()
                .unwrap_or_else(|_| LanguageIdentifier::default())
        })
        .collect()
});

impl Locale {
    /// The best shipped locale for `preferred`, the user's languages, most
    /// preferred first (BCP 47 tags; `_` separators and POSIX suffixes such
    /// as `de_DE.UTF-8` are read too). English when none matches.
    ///
    /// Each tag is matched in turn (RFC 4647 lookup with CLDR's likely
    /// subtags): exactly (`pt-BR`), then by its language (`de-AT` gets `de`,
    /// `pt-PT` gets `pt-BR`), with the script a region implies (`zh-CN` gets
    /// `zh-Hans`, `zh-TW` does not). Tags that do not parse are skipped.
    ///
    /// ```
    /// use keyward_errors::Locale;
    ///
    /// assert_eq!(Locale::negotiate(["fr-CA", "en"]), Locale::Fr);
    /// assert_eq!(Locale::negotiate(["zh-CN"]), Locale::ZhHans);
    /// assert_eq!(Locale::negotiate(["tlh"]), Locale::En);
    /// ```
    #[must_use]
    pub fn negotiate<I, S>(preferred: I) -> Locale
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let requested: Vec<LanguageIdentifier> = preferred
            .into_iter()
            .filter_map(|tag| parse_tag(tag.as_ref()))
            .collect();
        let available = &*AVAILABLE;
        let english = &available[0];
        negotiate_languages(
            &requested,
            available,
            Some(english),
            NegotiationStrategy::Lookup,
        )
        .first()
        .and_then(|chosen| available.iter().position(|a| std::ptr::eq(a, *chosen)))
        .and_then(|index| Locale::ALL.get(index).copied())
        .unwrap_or(Locale::En)
    }

    /// The shipped locale whose tag is `tag` (ASCII case-insensitive), without
    /// negotiation.
    #[must_use]
    pub fn from_tag(tag: &str) -> Option<Locale> {
        Locale::ALL
            .iter()
            .copied()
            .find(|locale| locale.tag().eq_ignore_ascii_case(tag))
    }

    /// This locale, then each [`Locale::parent`] up to English: where its texts
    /// come from (the generated tables already hold the result).
    pub fn fallback_chain(self) -> impl Iterator<Item = Locale> {
        std::iter::successors(Some(self), |locale| locale.parent())
    }
}

/// A BCP 47 tag, or a POSIX locale name (`pt_BR.UTF-8@euro`).
fn parse_tag(tag: &str) -> Option<LanguageIdentifier> {
    let tag = tag.split(['.', '@']).next().unwrap_or(tag).trim();
    tag.replace('_', "-").parse().ok()
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

impl FromStr for Locale {
    type Err = UnknownName;

    /// The shipped locale of exactly this tag (see [`Locale::from_tag`]); use
    /// [`Locale::negotiate`] to choose one for a user.
    fn from_str(tag: &str) -> Result<Self, UnknownName> {
        Locale::from_tag(tag).ok_or_else(|| UnknownName::new("locale", tag))
    }
}
