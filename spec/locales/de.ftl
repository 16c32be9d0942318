### Keyward's end-user texts in German (de), translated from spec/errors.toml.
###
### Addressing the user: Sie. Friendly and short, as a support agent
### would say it; never an error code. Each `# source:` line is the hash of the
### English text the message translates (see spec/locales/en.ftl); `cargo xtask
### codegen --check` fails when that English changes.

## User actions

# source: 6ee141c987023ebe
action-none = Sie müssen nichts tun.

# source: 7fd6cd87ac64e7c4
action-check_key = Prüfen Sie Ihren Lizenzschlüssel und versuchen Sie es erneut.

# source: 5e2f9bb3374abc25
action-renew = Verlängern Sie Ihre Lizenz.

# source: c7064f322f375375
action-contact_support = Wenden Sie sich an den Support.

# source: ef7fbdb092422e65
action-try_later = Versuchen Sie es später noch einmal.

# source: 176afd02072f8b0f
action-check_connection = Prüfen Sie Ihre Internetverbindung und versuchen Sie es erneut.

# source: e30c2ec3ce0121a5
action-sign_in_again = Melden Sie sich erneut an.

## Errors of the `api` family

# source: 1dacc78310fc7b1a
error-api-bad_request = Da ist etwas schiefgelaufen. Bitte versuchen Sie es später noch einmal.

# source: 1dacc78310fc7b1a
error-api-invalid_api_key = Da ist etwas schiefgelaufen. Bitte versuchen Sie es später noch einmal.

# source: 1dacc78310fc7b1a
error-api-no_credits = Da ist etwas schiefgelaufen. Bitte versuchen Sie es später noch einmal.

# source: 1dacc78310fc7b1a
error-api-forbidden = Da ist etwas schiefgelaufen. Bitte versuchen Sie es später noch einmal.

# source: 1dacc78310fc7b1a
error-api-not_found = Da ist etwas schiefgelaufen. Bitte versuchen Sie es später noch einmal.

# source: 1dacc78310fc7b1a
error-api-rate_limited = Da ist etwas schiefgelaufen. Bitte versuchen Sie es später noch einmal.

# source: 1dacc78310fc7b1a
error-api-internal_error = Da ist etwas schiefgelaufen. Bitte versuchen Sie es später noch einmal.

# source: 1dacc78310fc7b1a
unknown-api = Da ist etwas schiefgelaufen. Bitte versuchen Sie es später noch einmal.

## Errors of the `validate` family

# source: 0ddedf905779bc0b
error-validate-invalid_app = Die Anmeldung ist fehlgeschlagen.

# source: 45e3cb58effde8c3
error-validate-app_disabled = Der Anmeldedienst ist vorübergehend nicht verfügbar.

# source: 0cdec2729e612174
error-validate-invalid_key = Dieser Lizenzschlüssel ist ungültig. Bitte prüfen Sie ihn und versuchen Sie es erneut.

# source: 7a44fd27782c0448
error-validate-revoked = Diese Lizenz wurde deaktiviert. Wenden Sie sich an den Support.

# source: e96bbd7d0c4e7883
error-validate-expired = Ihre Lizenz ist abgelaufen.

# source: 73f78a427bc38d13
error-validate-hwid_mismatch = Diese Lizenz wird bereits auf einem anderen Gerät verwendet. Wenden Sie sich an den Support, um sie zurücksetzen zu lassen.

# source: 0224dda7ba1d0f89
error-validate-replay_detected = Die Anmeldung konnte nicht abgeschlossen werden. Bitte versuchen Sie es noch einmal.

# source: 851dfb6d911fe51e
error-validate-no_credits = Der Anmeldedienst ist vorübergehend nicht verfügbar. Bitte versuchen Sie es später noch einmal.

# source: 851dfb6d911fe51e
error-validate-app_burn_cap_reached = Der Anmeldedienst ist vorübergehend nicht verfügbar. Bitte versuchen Sie es später noch einmal.

# source: 90f1cd96eb3bcbde
error-validate-blocked = Die Anmeldung ist fehlgeschlagen. Wenden Sie sich an den Support.

# source: 0ddedf905779bc0b
error-validate-bad_request = Die Anmeldung ist fehlgeschlagen.

# source: 851dfb6d911fe51e
error-validate-rate_limited = Der Anmeldedienst ist vorübergehend nicht verfügbar. Bitte versuchen Sie es später noch einmal.

# source: 851dfb6d911fe51e
error-validate-internal_error = Der Anmeldedienst ist vorübergehend nicht verfügbar. Bitte versuchen Sie es später noch einmal.

# source: 851dfb6d911fe51e
error-validate-system_error = Der Anmeldedienst ist vorübergehend nicht verfügbar. Bitte versuchen Sie es später noch einmal.

# source: 0ddedf905779bc0b
unknown-validate = Die Anmeldung ist fehlgeschlagen.

## Errors of the `heartbeat` family

# source: b529fce2bfae76bd
error-heartbeat-session_expired = Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.

# source: 7a44fd27782c0448
error-heartbeat-revoked = Diese Lizenz wurde deaktiviert. Wenden Sie sich an den Support.

# source: e96bbd7d0c4e7883
error-heartbeat-expired = Ihre Lizenz ist abgelaufen.

# source: 45e3cb58effde8c3
error-heartbeat-app_disabled = Der Anmeldedienst ist vorübergehend nicht verfügbar.

# source: 851dfb6d911fe51e
error-heartbeat-no_credits = Der Anmeldedienst ist vorübergehend nicht verfügbar. Bitte versuchen Sie es später noch einmal.

# source: 851dfb6d911fe51e
error-heartbeat-app_burn_cap_reached = Der Anmeldedienst ist vorübergehend nicht verfügbar. Bitte versuchen Sie es später noch einmal.

# source: b995b951c4514b92
error-heartbeat-bad_request = Ihre Sitzung konnte nicht bestätigt werden.

# source: 851dfb6d911fe51e
error-heartbeat-rate_limited = Der Anmeldedienst ist vorübergehend nicht verfügbar. Bitte versuchen Sie es später noch einmal.

# source: 851dfb6d911fe51e
error-heartbeat-internal_error = Der Anmeldedienst ist vorübergehend nicht verfügbar. Bitte versuchen Sie es später noch einmal.

# source: 851dfb6d911fe51e
error-heartbeat-system_error = Der Anmeldedienst ist vorübergehend nicht verfügbar. Bitte versuchen Sie es später noch einmal.

# source: b995b951c4514b92
unknown-heartbeat = Ihre Sitzung konnte nicht bestätigt werden.

## Errors of the `selfban` family

# source: 0ddedf905779bc0b
error-selfban-bad_request = Die Anmeldung ist fehlgeschlagen.

# source: 851dfb6d911fe51e
error-selfban-rate_limited = Der Anmeldedienst ist vorübergehend nicht verfügbar. Bitte versuchen Sie es später noch einmal.

# source: 0ddedf905779bc0b
error-selfban-invalid_app = Die Anmeldung ist fehlgeschlagen.

# source: 0224dda7ba1d0f89
error-selfban-replay_detected = Die Anmeldung konnte nicht abgeschlossen werden. Bitte versuchen Sie es noch einmal.

# source: 45e3cb58effde8c3
error-selfban-app_disabled = Der Anmeldedienst ist vorübergehend nicht verfügbar.

# source: 0ddedf905779bc0b
error-selfban-revoke_requires_session = Die Anmeldung ist fehlgeschlagen.

# source: 0cdec2729e612174
error-selfban-invalid_key = Dieser Lizenzschlüssel ist ungültig. Bitte prüfen Sie ihn und versuchen Sie es erneut.

# source: b529fce2bfae76bd
error-selfban-session_expired = Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.

# source: 851dfb6d911fe51e
error-selfban-system_error = Der Anmeldedienst ist vorübergehend nicht verfügbar. Bitte versuchen Sie es später noch einmal.

# source: 0ddedf905779bc0b
unknown-selfban = Die Anmeldung ist fehlgeschlagen.

## Errors of the `client` family

# source: 9442576cddbe5707
error-client-nonce_mismatch = Die Anmeldung ist fehlgeschlagen. Bitte versuchen Sie es später noch einmal.

# source: 9442576cddbe5707
error-client-signature_mismatch = Die Anmeldung ist fehlgeschlagen. Bitte versuchen Sie es später noch einmal.

# source: fbfc50cc6f978396
error-client-network_error = Der Anmeldedienst ist nicht erreichbar. Prüfen Sie Ihre Internetverbindung und versuchen Sie es erneut.

# source: 851dfb6d911fe51e
error-client-invalid_response = Der Anmeldedienst ist vorübergehend nicht verfügbar. Bitte versuchen Sie es später noch einmal.

# source: 0ddedf905779bc0b
unknown-client = Die Anmeldung ist fehlgeschlagen.
