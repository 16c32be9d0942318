### Keyward's end-user texts in French (fr), translated from spec/errors.toml.
###
### Addressing the user: vous. Friendly and short, as a support agent
### would say it; never an error code. Each `# source:` line is the hash of the
### English text the message translates (see spec/locales/en.ftl); `cargo xtask
### codegen --check` fails when that English changes.

## User actions

# source: 6ee141c987023ebe
action-none = Vous n'avez rien à faire.

# source: 7fd6cd87ac64e7c4
action-check_key = Vérifiez votre clé de licence et réessayez.

# source: 5e2f9bb3374abc25
action-renew = Renouvelez votre licence.

# source: c7064f322f375375
action-contact_support = Contactez l'assistance.

# source: ef7fbdb092422e65
action-try_later = Réessayez plus tard.

# source: 176afd02072f8b0f
action-check_connection = Vérifiez votre connexion Internet et réessayez.

# source: e30c2ec3ce0121a5
action-sign_in_again = Reconnectez-vous.

## Errors of the `api` family

# source: 1dacc78310fc7b1a
error-api-bad_request = Un problème est survenu. Veuillez réessayer plus tard.

# source: 1dacc78310fc7b1a
error-api-invalid_api_key = Un problème est survenu. Veuillez réessayer plus tard.

# source: 1dacc78310fc7b1a
error-api-no_credits = Un problème est survenu. Veuillez réessayer plus tard.

# source: 1dacc78310fc7b1a
error-api-forbidden = Un problème est survenu. Veuillez réessayer plus tard.

# source: 1dacc78310fc7b1a
error-api-not_found = Un problème est survenu. Veuillez réessayer plus tard.

# source: 1dacc78310fc7b1a
error-api-rate_limited = Un problème est survenu. Veuillez réessayer plus tard.

# source: 1dacc78310fc7b1a
error-api-internal_error = Un problème est survenu. Veuillez réessayer plus tard.

# source: 1dacc78310fc7b1a
unknown-api = Un problème est survenu. Veuillez réessayer plus tard.

## Errors of the `validate` family

# source: 0ddedf905779bc0b
error-validate-invalid_app = L'authentification a échoué.

# source: 45e3cb58effde8c3
error-validate-app_disabled = Le service d'authentification est momentanément indisponible.

# source: 0cdec2729e612174
error-validate-invalid_key = Clé de licence non valide. Veuillez la vérifier et réessayer.

# source: 7a44fd27782c0448
error-validate-revoked = Cette licence a été désactivée. Contactez l'assistance.

# source: e96bbd7d0c4e7883
error-validate-expired = Votre licence a expiré.

# source: 73f78a427bc38d13
error-validate-hwid_mismatch = Cette licence est déjà utilisée sur un autre appareil. Contactez l'assistance pour la faire réinitialiser.

# source: 0224dda7ba1d0f89
error-validate-replay_detected = La connexion n'a pas pu aboutir. Veuillez réessayer.

# source: 851dfb6d911fe51e
error-validate-no_credits = Le service d'authentification est momentanément indisponible. Veuillez réessayer plus tard.

# source: 851dfb6d911fe51e
error-validate-app_burn_cap_reached = Le service d'authentification est momentanément indisponible. Veuillez réessayer plus tard.

# source: 90f1cd96eb3bcbde
error-validate-blocked = L'authentification a échoué. Contactez l'assistance.

# source: 0ddedf905779bc0b
error-validate-bad_request = L'authentification a échoué.

# source: 851dfb6d911fe51e
error-validate-rate_limited = Le service d'authentification est momentanément indisponible. Veuillez réessayer plus tard.

# source: 851dfb6d911fe51e
error-validate-internal_error = Le service d'authentification est momentanément indisponible. Veuillez réessayer plus tard.

# source: 851dfb6d911fe51e
error-validate-system_error = Le service d'authentification est momentanément indisponible. Veuillez réessayer plus tard.

# source: 0ddedf905779bc0b
unknown-validate = L'authentification a échoué.

## Errors of the `heartbeat` family

# source: b529fce2bfae76bd
error-heartbeat-session_expired = Votre session a expiré. Veuillez vous reconnecter.

# source: 7a44fd27782c0448
error-heartbeat-revoked = Cette licence a été désactivée. Contactez l'assistance.

# source: e96bbd7d0c4e7883
error-heartbeat-expired = Votre licence a expiré.

# source: 45e3cb58effde8c3
error-heartbeat-app_disabled = Le service d'authentification est momentanément indisponible.

# source: 851dfb6d911fe51e
error-heartbeat-no_credits = Le service d'authentification est momentanément indisponible. Veuillez réessayer plus tard.

# source: 851dfb6d911fe51e
error-heartbeat-app_burn_cap_reached = Le service d'authentification est momentanément indisponible. Veuillez réessayer plus tard.

# source: b995b951c4514b92
error-heartbeat-bad_request = Votre session n'a pas pu être confirmée.

# source: 851dfb6d911fe51e
error-heartbeat-rate_limited = Le service d'authentification est momentanément indisponible. Veuillez réessayer plus tard.

# source: 851dfb6d911fe51e
error-heartbeat-internal_error = Le service d'authentification est momentanément indisponible. Veuillez réessayer plus tard.

# source: 851dfb6d911fe51e
error-heartbeat-system_error = Le service d'authentification est momentanément indisponible. Veuillez réessayer plus tard.

# source: b995b951c4514b92
unknown-heartbeat = Votre session n'a pas pu être confirmée.

## Errors of the `selfban` family

# source: 0ddedf905779bc0b
error-selfban-bad_request = L'authentification a échoué.

# source: 851dfb6d911fe51e
error-selfban-rate_limited = Le service d'authentification est momentanément indisponible. Veuillez réessayer plus tard.

# source: 0ddedf905779bc0b
error-selfban-invalid_app = L'authentification a échoué.

# source: 0224dda7ba1d0f89
error-selfban-replay_detected = La connexion n'a pas pu aboutir. Veuillez réessayer.

# source: 45e3cb58effde8c3
error-selfban-app_disabled = Le service d'authentification est momentanément indisponible.

# source: 0ddedf905779bc0b
error-selfban-revoke_requires_session = L'authentification a échoué.

# source: 0cdec2729e612174
error-selfban-invalid_key = Clé de licence non valide. Veuillez la vérifier et réessayer.

# source: b529fce2bfae76bd
error-selfban-session_expired = Votre session a expiré. Veuillez vous reconnecter.

# source: 851dfb6d911fe51e
error-selfban-system_error = Le service d'authentification est momentanément indisponible. Veuillez réessayer plus tard.

# source: 0ddedf905779bc0b
unknown-selfban = L'authentification a échoué.

## Errors of the `client` family

# source: 9442576cddbe5707
error-client-nonce_mismatch = L'authentification a échoué. Veuillez réessayer plus tard.

# source: 9442576cddbe5707
error-client-signature_mismatch = L'authentification a échoué. Veuillez réessayer plus tard.

# source: fbfc50cc6f978396
error-client-network_error = Impossible de joindre le service d'authentification. Vérifiez votre connexion Internet et réessayez.

# source: 851dfb6d911fe51e
error-client-invalid_response = Le service d'authentification est momentanément indisponible. Veuillez réessayer plus tard.

# source: 0ddedf905779bc0b
unknown-client = L'authentification a échoué.
