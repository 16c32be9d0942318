### Keyward's end-user texts in Spanish (es), translated from spec/errors.toml.
###
### Addressing the user: tú (neutral, for Spain and Latin America). Friendly and short, as a support agent
### would say it; never an error code. Each `# source:` line is the hash of the
### English text the message translates (see spec/locales/en.ftl); `cargo xtask
### codegen --check` fails when that English changes.

## User actions

# source: 6ee141c987023ebe
action-none = No tienes que hacer nada.

# source: 7fd6cd87ac64e7c4
action-check_key = Comprueba tu clave de licencia y vuelve a intentarlo.

# source: 5e2f9bb3374abc25
action-renew = Renueva tu licencia.

# source: c7064f322f375375
action-contact_support = Ponte en contacto con el soporte técnico.

# source: ef7fbdb092422e65
action-try_later = Vuelve a intentarlo más tarde.

# source: 176afd02072f8b0f
action-check_connection = Comprueba tu conexión a Internet y vuelve a intentarlo.

# source: e30c2ec3ce0121a5
action-sign_in_again = Vuelve a iniciar sesión.

## Errors of the `api` family

# source: 1dacc78310fc7b1a
error-api-bad_request = Algo salió mal. Vuelve a intentarlo más tarde.

# source: 1dacc78310fc7b1a
error-api-invalid_api_key = Algo salió mal. Vuelve a intentarlo más tarde.

# source: 1dacc78310fc7b1a
error-api-no_credits = Algo salió mal. Vuelve a intentarlo más tarde.

# source: 1dacc78310fc7b1a
error-api-forbidden = Algo salió mal. Vuelve a intentarlo más tarde.

# source: 1dacc78310fc7b1a
error-api-not_found = Algo salió mal. Vuelve a intentarlo más tarde.

# source: 1dacc78310fc7b1a
error-api-rate_limited = Algo salió mal. Vuelve a intentarlo más tarde.

# source: 1dacc78310fc7b1a
error-api-internal_error = Algo salió mal. Vuelve a intentarlo más tarde.

# source: 1dacc78310fc7b1a
unknown-api = Algo salió mal. Vuelve a intentarlo más tarde.

## Errors of the `validate` family

# source: 0ddedf905779bc0b
error-validate-invalid_app = Error de autenticación.

# source: 45e3cb58effde8c3
error-validate-app_disabled = El servicio de autenticación no está disponible en este momento.

# source: 0cdec2729e612174
error-validate-invalid_key = La clave de licencia no es válida. Compruébala y vuelve a intentarlo.

# source: 7a44fd27782c0448
error-validate-revoked = Esta licencia se ha desactivado. Ponte en contacto con el soporte técnico.

# source: e96bbd7d0c4e7883
error-validate-expired = Tu licencia ha expirado.

# source: 73f78a427bc38d13
error-validate-hwid_mismatch = Esta licencia ya se está usando en otro dispositivo. Ponte en contacto con el soporte técnico para restablecerla.

# source: 0224dda7ba1d0f89
error-validate-replay_detected = No se pudo completar el inicio de sesión. Inténtalo de nuevo.

# source: 851dfb6d911fe51e
error-validate-no_credits = El servicio de autenticación no está disponible en este momento. Vuelve a intentarlo más tarde.

# source: 851dfb6d911fe51e
error-validate-app_burn_cap_reached = El servicio de autenticación no está disponible en este momento. Vuelve a intentarlo más tarde.

# source: 90f1cd96eb3bcbde
error-validate-blocked = Error de autenticación. Ponte en contacto con el soporte técnico.

# source: 0ddedf905779bc0b
error-validate-bad_request = Error de autenticación.

# source: 851dfb6d911fe51e
error-validate-rate_limited = El servicio de autenticación no está disponible en este momento. Vuelve a intentarlo más tarde.

# source: 851dfb6d911fe51e
error-validate-internal_error = El servicio de autenticación no está disponible en este momento. Vuelve a intentarlo más tarde.

# source: 851dfb6d911fe51e
error-validate-system_error = El servicio de autenticación no está disponible en este momento. Vuelve a intentarlo más tarde.

# source: 0ddedf905779bc0b
unknown-validate = Error de autenticación.

## Errors of the `heartbeat` family

# source: b529fce2bfae76bd
error-heartbeat-session_expired = Tu sesión ha expirado. Vuelve a iniciar sesión.

# source: 7a44fd27782c0448
error-heartbeat-revoked = Esta licencia se ha desactivado. Ponte en contacto con el soporte técnico.

# source: e96bbd7d0c4e7883
error-heartbeat-expired = Tu licencia ha expirado.

# source: 45e3cb58effde8c3
error-heartbeat-app_disabled = El servicio de autenticación no está disponible en este momento.

# source: 851dfb6d911fe51e
error-heartbeat-no_credits = El servicio de autenticación no está disponible en este momento. Vuelve a intentarlo más tarde.

# source: 851dfb6d911fe51e
error-heartbeat-app_burn_cap_reached = El servicio de autenticación no está disponible en este momento. Vuelve a intentarlo más tarde.

# source: b995b951c4514b92
error-heartbeat-bad_request = No se pudo confirmar tu sesión.

# source: 851dfb6d911fe51e
error-heartbeat-rate_limited = El servicio de autenticación no está disponible en este momento. Vuelve a intentarlo más tarde.

# source: 851dfb6d911fe51e
error-heartbeat-internal_error = El servicio de autenticación no está disponible en este momento. Vuelve a intentarlo más tarde.

# source: 851dfb6d911fe51e
error-heartbeat-system_error = El servicio de autenticación no está disponible en este momento. Vuelve a intentarlo más tarde.

# source: b995b951c4514b92
unknown-heartbeat = No se pudo confirmar tu sesión.

## Errors of the `selfban` family

# source: 0ddedf905779bc0b
error-selfban-bad_request = Error de autenticación.

# source: 851dfb6d911fe51e
error-selfban-rate_limited = El servicio de autenticación no está disponible en este momento. Vuelve a intentarlo más tarde.

# source: 0ddedf905779bc0b
error-selfban-invalid_app = Error de autenticación.

# source: 0224dda7ba1d0f89
error-selfban-replay_detected = No se pudo completar el inicio de sesión. Inténtalo de nuevo.

# source: 45e3cb58effde8c3
error-selfban-app_disabled = El servicio de autenticación no está disponible en este momento.

# source: 0ddedf905779bc0b
error-selfban-revoke_requires_session = Error de autenticación.

# source: 0cdec2729e612174
error-selfban-invalid_key = La clave de licencia no es válida. Compruébala y vuelve a intentarlo.

# source: b529fce2bfae76bd
error-selfban-session_expired = Tu sesión ha expirado. Vuelve a iniciar sesión.

# source: 851dfb6d911fe51e
error-selfban-system_error = El servicio de autenticación no está disponible en este momento. Vuelve a intentarlo más tarde.

# source: 0ddedf905779bc0b
unknown-selfban = Error de autenticación.

## Errors of the `client` family

# source: 9442576cddbe5707
error-client-nonce_mismatch = Error de autenticación. Vuelve a intentarlo más tarde.

# source: 9442576cddbe5707
error-client-signature_mismatch = Error de autenticación. Vuelve a intentarlo más tarde.

# source: fbfc50cc6f978396
error-client-network_error = No se pudo conectar con el servicio de autenticación. Comprueba tu conexión a Internet y vuelve a intentarlo.

# source: 851dfb6d911fe51e
error-client-invalid_response = El servicio de autenticación no está disponible en este momento. Vuelve a intentarlo más tarde.

# source: 0ddedf905779bc0b
unknown-client = Error de autenticación.
