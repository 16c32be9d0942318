### Keyward's end-user texts in Brazilian Portuguese (pt-BR), translated from spec/errors.toml.
###
### Addressing the user: você. Friendly and short, as a support agent
### would say it; never an error code. Each `# source:` line is the hash of the
### English text the message translates (see spec/locales/en.ftl); `cargo xtask
### codegen --check` fails when that English changes.

## User actions

# source: 6ee141c987023ebe
action-none = Você não precisa fazer nada.

# source: 7fd6cd87ac64e7c4
action-check_key = Verifique sua chave de licença e tente novamente.

# source: 5e2f9bb3374abc25
action-renew = Renove sua licença.

# source: c7064f322f375375
action-contact_support = Entre em contato com o suporte.

# source: ef7fbdb092422e65
action-try_later = Tente novamente mais tarde.

# source: 176afd02072f8b0f
action-check_connection = Verifique sua conexão com a internet e tente novamente.

# source: e30c2ec3ce0121a5
action-sign_in_again = Faça login novamente.

## Errors of the `api` family

# source: 1dacc78310fc7b1a
error-api-bad_request = Algo deu errado. Tente novamente mais tarde.

# source: 1dacc78310fc7b1a
error-api-invalid_api_key = Algo deu errado. Tente novamente mais tarde.

# source: 1dacc78310fc7b1a
error-api-no_credits = Algo deu errado. Tente novamente mais tarde.

# source: 1dacc78310fc7b1a
error-api-forbidden = Algo deu errado. Tente novamente mais tarde.

# source: 1dacc78310fc7b1a
error-api-not_found = Algo deu errado. Tente novamente mais tarde.

# source: 1dacc78310fc7b1a
error-api-rate_limited = Algo deu errado. Tente novamente mais tarde.

# source: 1dacc78310fc7b1a
error-api-internal_error = Algo deu errado. Tente novamente mais tarde.

# source: 1dacc78310fc7b1a
unknown-api = Algo deu errado. Tente novamente mais tarde.

## Errors of the `validate` family

# source: 0ddedf905779bc0b
error-validate-invalid_app = Falha na autenticação.

# source: 45e3cb58effde8c3
error-validate-app_disabled = O serviço de autenticação está temporariamente indisponível.

# source: 0cdec2729e612174
error-validate-invalid_key = Chave de licença inválida. Verifique e tente novamente.

# source: 7a44fd27782c0448
error-validate-revoked = Esta licença foi desativada. Entre em contato com o suporte.

# source: e96bbd7d0c4e7883
error-validate-expired = Sua licença expirou.

# source: 73f78a427bc38d13
error-validate-hwid_mismatch = Esta licença já está em uso em outro dispositivo. Entre em contato com o suporte para redefini-la.

# source: 0224dda7ba1d0f89
error-validate-replay_detected = Não foi possível concluir o login. Tente novamente.

# source: 851dfb6d911fe51e
error-validate-no_credits = O serviço de autenticação está temporariamente indisponível. Tente novamente mais tarde.

# source: 851dfb6d911fe51e
error-validate-app_burn_cap_reached = O serviço de autenticação está temporariamente indisponível. Tente novamente mais tarde.

# source: 90f1cd96eb3bcbde
error-validate-blocked = Falha na autenticação. Entre em contato com o suporte.

# source: 0ddedf905779bc0b
error-validate-bad_request = Falha na autenticação.

# source: 851dfb6d911fe51e
error-validate-rate_limited = O serviço de autenticação está temporariamente indisponível. Tente novamente mais tarde.

# source: 851dfb6d911fe51e
error-validate-internal_error = O serviço de autenticação está temporariamente indisponível. Tente novamente mais tarde.

# source: 851dfb6d911fe51e
error-validate-system_error = O serviço de autenticação está temporariamente indisponível. Tente novamente mais tarde.

# source: 0ddedf905779bc0b
unknown-validate = Falha na autenticação.

## Errors of the `heartbeat` family

# source: b529fce2bfae76bd
error-heartbeat-session_expired = Sua sessão expirou. Faça login novamente.

# source: 7a44fd27782c0448
error-heartbeat-revoked = Esta licença foi desativada. Entre em contato com o suporte.

# source: e96bbd7d0c4e7883
error-heartbeat-expired = Sua licença expirou.

# source: 45e3cb58effde8c3
error-heartbeat-app_disabled = O serviço de autenticação está temporariamente indisponível.

# source: 851dfb6d911fe51e
error-heartbeat-no_credits = O serviço de autenticação está temporariamente indisponível. Tente novamente mais tarde.

# source: 851dfb6d911fe51e
error-heartbeat-app_burn_cap_reached = O serviço de autenticação está temporariamente indisponível. Tente novamente mais tarde.

# source: b995b951c4514b92
error-heartbeat-bad_request = Não foi possível confirmar sua sessão.

# source: 851dfb6d911fe51e
error-heartbeat-rate_limited = O serviço de autenticação está temporariamente indisponível. Tente novamente mais tarde.

# source: 851dfb6d911fe51e
error-heartbeat-internal_error = O serviço de autenticação está temporariamente indisponível. Tente novamente mais tarde.

# source: 851dfb6d911fe51e
error-heartbeat-system_error = O serviço de autenticação está temporariamente indisponível. Tente novamente mais tarde.

# source: b995b951c4514b92
unknown-heartbeat = Não foi possível confirmar sua sessão.

## Errors of the `selfban` family

# source: 0ddedf905779bc0b
error-selfban-bad_request = Falha na autenticação.

# source: 851dfb6d911fe51e
error-selfban-rate_limited = O serviço de autenticação está temporariamente indisponível. Tente novamente mais tarde.

# source: 0ddedf905779bc0b
error-selfban-invalid_app = Falha na autenticação.

# source: 0224dda7ba1d0f89
error-selfban-replay_detected = Não foi possível concluir o login. Tente novamente.

# source: 45e3cb58effde8c3
error-selfban-app_disabled = O serviço de autenticação está temporariamente indisponível.

# source: 0ddedf905779bc0b
error-selfban-revoke_requires_session = Falha na autenticação.

# source: 0cdec2729e612174
error-selfban-invalid_key = Chave de licença inválida. Verifique e tente novamente.

# source: b529fce2bfae76bd
error-selfban-session_expired = Sua sessão expirou. Faça login novamente.

# source: 851dfb6d911fe51e
error-selfban-system_error = O serviço de autenticação está temporariamente indisponível. Tente novamente mais tarde.

# source: 0ddedf905779bc0b
unknown-selfban = Falha na autenticação.

## Errors of the `client` family

# source: 9442576cddbe5707
error-client-nonce_mismatch = Falha na autenticação. Tente novamente mais tarde.

# source: 9442576cddbe5707
error-client-signature_mismatch = Falha na autenticação. Tente novamente mais tarde.

# source: fbfc50cc6f978396
error-client-network_error = Não foi possível acessar o serviço de autenticação. Verifique sua conexão com a internet e tente novamente.

# source: 851dfb6d911fe51e
error-client-invalid_response = O serviço de autenticação está temporariamente indisponível. Tente novamente mais tarde.

# source: 0ddedf905779bc0b
unknown-client = Falha na autenticação.
