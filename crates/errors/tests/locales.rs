//! Feature `locales`: every shipped locale has every end-user text, English
//! lookups agree with the untranslated ones, and negotiation and the fallback
//! chain choose what a user would expect.
#![cfg(feature = "locales")]

use keyward_errors::{ApiError, ClientError, HeartbeatError, Locale, UserAction, ValidateError};

/// Every end-user text of one locale, with a name for messages, unknown
/// codes included.
fn texts(locale: Locale) -> Vec<(String, &'static str, &'static str)> {
    let unknown = "a_code_from_a_newer_server";
    let mut out: Vec<(String, &'static str, &'static str)> = UserAction::ALL
        .iter()
        .map(|a| (format!("action {a}"), a.label(), a.label_in(locale)))
        .collect();
    macro_rules! family {
        ($ty:ty) => {
            for e in <$ty>::iter().chain([<$ty>::from_code(unknown)]) {
                out.push((
                    format!("{} {}", <$ty>::FAMILY, e.code()),
                    e.user_message(),
                    e.user_message_in(locale),
                ));
            }
        };
    }
    family!(ApiError);
    family!(ValidateError);
    family!(HeartbeatError);
    family!(ClientError);
    out
}

#[test]
fn english_is_the_spec_text() {
    for (name, english, localized) in texts(Locale::En) {
        assert_eq!(english, localized, "{name}");
    }
}

#[test]
fn every_shipped_translation_is_complete_and_translated() {
    assert!(Locale::ALL.len() >= 7, "{:?}", Locale::ALL);
    for &locale in Locale::ALL {
        for (name, english, localized) in texts(locale) {
            assert!(!localized.trim().is_empty(), "{locale} {name}");
            // A locale of another language translates every text.
            if !locale.tag().starts_with("en") {
                assert_ne!(english, localized, "{locale} {name} is English");
            }
        }
    }
}

#[test]
fn an_unknown_code_gets_its_familys_text_in_the_locale() {
    let newer = ValidateError::from_code("quantum_flux");
    let other = ValidateError::from_code("another_new_one");
    for &locale in Locale::ALL {
        assert_eq!(newer.user_message_in(locale), other.user_message_in(locale));
    }
    assert_ne!(newer.user_message_in(Locale::De), newer.user_message());
}

#[test]
fn tags_round_trip() {
    for &locale in Locale::ALL {
        assert_eq!(Locale::from_tag(locale.tag()), Some(locale));
        assert_eq!(locale.to_string().parse::<Locale>().ok(), Some(locale));
        assert_eq!(Locale::negotiate([locale.tag()]), locale, "{locale}");
    }
    assert_eq!(Locale::from_tag("PT-br"), Some(Locale::PtBr));
    assert!("xx".parse::<Locale>().is_err());
}

#[test]
fn negotiation_picks_what_a_user_would_expect() {
    let cases: &[(&[&str], Locale)] = &[
        (&["de-DE"], Locale::De),
        (&["de-AT", "fr"], Locale::De),
        (&["de_CH.UTF-8"], Locale::De),
        (&["fr-CA"], Locale::Fr),
        (&["es-419"], Locale::Es),
        (&["es-MX"], Locale::Es),
        (&["ja-JP"], Locale::Ja),
        (&["pt-BR"], Locale::PtBr),
        // Portuguese without Brazil's region still reads Brazilian Portuguese.
        (&["pt"], Locale::PtBr),
        (&["pt-PT"], Locale::PtBr),
        // Simplified Chinese by script, or by a region that writes it.
        (&["zh-Hans"], Locale::ZhHans),
        (&["zh-CN"], Locale::ZhHans),
        (&["zh-SG"], Locale::ZhHans),
        (&["zh"], Locale::ZhHans),
        // Traditional Chinese is not served Simplified: the next choice wins.
        (&["zh-TW", "ja"], Locale::Ja),
        (&["zh-Hant-HK"], Locale::En),
        // The order of preference counts: English first stays English.
        (&["en-US", "de"], Locale::En),
        (&["it", "fr"], Locale::Fr),
        // Nothing usable: English.
        (&[], Locale::En),
        (&["C"], Locale::En),
        (&["not a tag!", "es"], Locale::Es),
        (&["tlh"], Locale::En),
    ];
    for (preferred, expected) in cases {
        assert_eq!(Locale::negotiate(*preferred), *expected, "{preferred:?}");
    }
}

#[test]
fn fallback_chains_end_in_english() {
    for &locale in Locale::ALL {
        let chain: Vec<Locale> = locale.fallback_chain().collect();
        assert_eq!(chain.first(), Some(&locale));
        assert_eq!(chain.last(), Some(&Locale::En), "{locale}");
    }
    assert_eq!(
        Locale::PtBr.fallback_chain().collect::<Vec<_>>(),
        [Locale::PtBr, Locale::En]
    );
    assert_eq!(Locale::En.parent(), None);
}
