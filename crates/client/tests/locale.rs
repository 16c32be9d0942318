//! The language of the end-user texts, through a real login against a real server on
//! loopback: [`Builder::locale`], and by default the operating system's preferred
//! languages (`LANG` and friends on Linux), checked in child processes of this test
//! binary that run with a chosen environment.

mod support;

use std::process::Command;

use keyward_client::{Client, Locale, UserAction, ValidateError};
use support::Env;

/// Set in a child process: the tag its default locale must have.
const CHILD_EXPECTS: &str = "KEYWARD_TEST_EXPECTED_LOCALE";

/// A key the server does not know: `invalid_key`, a user-facing code.
const UNKNOWN_KEY: &str = "ABCD-EFGH-IJKL-MNOP";

#[tokio::test(flavor = "multi_thread")]
async fn the_builders_locale_sets_the_language_of_the_texts() {
    let env = Env::start().await;
    for locale in [Locale::De, Locale::Ja, Locale::En] {
        let client = env.builder().locale(locale).build().expect("client");
        let error = client.login(UNKNOWN_KEY).await.expect_err("unknown key");
        assert_eq!(
            error.kind(),
            &keyward_client::ErrorKind::Validate(ValidateError::InvalidKey)
        );
        assert_eq!(error.locale(), locale);
        assert_eq!(
            error.user_message(),
            ValidateError::InvalidKey.user_message_in(locale)
        );
        assert_eq!(error.action_label(), UserAction::CheckKey.label_in(locale));
        if locale != Locale::En {
            assert_ne!(
                error.user_message(),
                ValidateError::InvalidKey.user_message()
            );
        }
    }
}

/// Only does something in a child process started by
/// [`the_default_locale_follows_the_os_language`]: a client built without `locale(..)`
/// shows its texts in the language of the environment it was started with.
#[tokio::test(flavor = "multi_thread")]
async fn child_default_locale() {
    let Ok(expected) = std::env::var(CHILD_EXPECTS) else {
        return;
    };
    assert_eq!(keyward_client::default_locale().tag(), expected);
    let env = Env::start().await;
    let client = Client::builder()
        .app_id(&env.seed.app_id)
        .app_secret(&env.seed.app_secret)
        .base_url(env.proxy.url())
        .hwid(support::hwid("device-a"))
        .build()
        .expect("client");
    let error = client.login(UNKNOWN_KEY).await.expect_err("unknown key");
    assert_eq!(error.locale().tag(), expected);
    assert_eq!(
        error.user_message(),
        ValidateError::InvalidKey.user_message_in(error.locale())
    );
    assert_eq!(
        error.action_label(),
        UserAction::CheckKey.label_in(error.locale())
    );
}

/// Runs [`child_default_locale`] with `LANG=lang` (and `LANGUAGE` if given) and asserts
/// it passed, that is its default locale is `expected`.
fn assert_child_picks(language: Option<&str>, lang: &str, expected: Locale) {
    let exe = std::env::current_exe().expect("the test binary");
    let mut command = Command::new(&exe);
    command
        .args(["--exact", "child_default_locale", "--nocapture"])
        // sys-locale reads LANGUAGE, LC_ALL and LC_MESSAGES before LANG.
        .env_remove("LANGUAGE")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", lang)
        .env(CHILD_EXPECTS, expected.tag());
    if let Some(language) = language {
        command.env("LANGUAGE", language);
    }
    let output = command.output().expect("run the test binary");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "LANGUAGE={language:?} LANG={lang}:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_default_locale_follows_the_os_language() {
    for (lang, expected) in [
        ("de_DE.UTF-8", Locale::De),
        ("zh_CN.UTF-8", Locale::ZhHans),
        ("pt_BR.UTF-8", Locale::PtBr),
        ("C.UTF-8", Locale::En),
    ] {
        assert_child_picks(None, lang, expected);
    }
}

#[test]
fn languages_earlier_in_the_os_list_win() {
    // GNU's LANGUAGE list comes first: Traditional Chinese is not shipped, French is.
    assert_child_picks(Some("zh_TW:fr_FR"), "de_DE.UTF-8", Locale::Fr);
}
