### Keyward's end-user texts in Japanese (ja), translated from spec/errors.toml.
###
### Addressing the user: polite (です/ます). Friendly and short, as a support agent
### would say it; never an error code. Each `# source:` line is the hash of the
### English text the message translates (see spec/locales/en.ftl); `cargo xtask
### codegen --check` fails when that English changes.

## User actions

# source: 6ee141c987023ebe
action-none = 操作は必要ありません。

# source: 7fd6cd87ac64e7c4
action-check_key = ライセンスキーを確認して、もう一度お試しください。

# source: 5e2f9bb3374abc25
action-renew = ライセンスを更新してください。

# source: c7064f322f375375
action-contact_support = サポートにお問い合わせください。

# source: ef7fbdb092422e65
action-try_later = しばらくしてからもう一度お試しください。

# source: 176afd02072f8b0f
action-check_connection = インターネット接続を確認して、もう一度お試しください。

# source: e30c2ec3ce0121a5
action-sign_in_again = もう一度サインインしてください。

## Errors of the `api` family

# source: 1dacc78310fc7b1a
error-api-bad_request = 問題が発生しました。しばらくしてからもう一度お試しください。

# source: 1dacc78310fc7b1a
error-api-invalid_api_key = 問題が発生しました。しばらくしてからもう一度お試しください。

# source: 1dacc78310fc7b1a
error-api-no_credits = 問題が発生しました。しばらくしてからもう一度お試しください。

# source: 1dacc78310fc7b1a
error-api-forbidden = 問題が発生しました。しばらくしてからもう一度お試しください。

# source: 1dacc78310fc7b1a
error-api-not_found = 問題が発生しました。しばらくしてからもう一度お試しください。

# source: 1dacc78310fc7b1a
error-api-rate_limited = 問題が発生しました。しばらくしてからもう一度お試しください。

# source: 1dacc78310fc7b1a
error-api-internal_error = 問題が発生しました。しばらくしてからもう一度お試しください。

# source: 1dacc78310fc7b1a
unknown-api = 問題が発生しました。しばらくしてからもう一度お試しください。

## Errors of the `validate` family

# source: 0ddedf905779bc0b
error-validate-invalid_app = 認証に失敗しました。

# source: 45e3cb58effde8c3
error-validate-app_disabled = 認証サービスは一時的にご利用いただけません。

# source: 0cdec2729e612174
error-validate-invalid_key = ライセンスキーが無効です。確認して、もう一度お試しください。

# source: 7a44fd27782c0448
error-validate-revoked = このライセンスは無効化されています。サポートにお問い合わせください。

# source: e96bbd7d0c4e7883
error-validate-expired = ライセンスの有効期限が切れています。

# source: 73f78a427bc38d13
error-validate-hwid_mismatch = このライセンスは別のデバイスで使用中です。リセットについてはサポートにお問い合わせください。

# source: 0224dda7ba1d0f89
error-validate-replay_detected = サインインを完了できませんでした。もう一度お試しください。

# source: 851dfb6d911fe51e
error-validate-no_credits = 認証サービスは一時的にご利用いただけません。しばらくしてからもう一度お試しください。

# source: 851dfb6d911fe51e
error-validate-app_burn_cap_reached = 認証サービスは一時的にご利用いただけません。しばらくしてからもう一度お試しください。

# source: 90f1cd96eb3bcbde
error-validate-blocked = 認証に失敗しました。サポートにお問い合わせください。

# source: 0ddedf905779bc0b
error-validate-bad_request = 認証に失敗しました。

# source: 851dfb6d911fe51e
error-validate-rate_limited = 認証サービスは一時的にご利用いただけません。しばらくしてからもう一度お試しください。

# source: 851dfb6d911fe51e
error-validate-internal_error = 認証サービスは一時的にご利用いただけません。しばらくしてからもう一度お試しください。

# source: 851dfb6d911fe51e
error-validate-system_error = 認証サービスは一時的にご利用いただけません。しばらくしてからもう一度お試しください。

# source: 0ddedf905779bc0b
unknown-validate = 認証に失敗しました。

## Errors of the `heartbeat` family

# source: b529fce2bfae76bd
error-heartbeat-session_expired = セッションの有効期限が切れました。もう一度サインインしてください。

# source: 7a44fd27782c0448
error-heartbeat-revoked = このライセンスは無効化されています。サポートにお問い合わせください。

# source: e96bbd7d0c4e7883
error-heartbeat-expired = ライセンスの有効期限が切れています。

# source: 45e3cb58effde8c3
error-heartbeat-app_disabled = 認証サービスは一時的にご利用いただけません。

# source: 851dfb6d911fe51e
error-heartbeat-no_credits = 認証サービスは一時的にご利用いただけません。しばらくしてからもう一度お試しください。

# source: 851dfb6d911fe51e
error-heartbeat-app_burn_cap_reached = 認証サービスは一時的にご利用いただけません。しばらくしてからもう一度お試しください。

# source: b995b951c4514b92
error-heartbeat-bad_request = セッションを確認できませんでした。

# source: 851dfb6d911fe51e
error-heartbeat-rate_limited = 認証サービスは一時的にご利用いただけません。しばらくしてからもう一度お試しください。

# source: 851dfb6d911fe51e
error-heartbeat-internal_error = 認証サービスは一時的にご利用いただけません。しばらくしてからもう一度お試しください。

# source: 851dfb6d911fe51e
error-heartbeat-system_error = 認証サービスは一時的にご利用いただけません。しばらくしてからもう一度お試しください。

# source: b995b951c4514b92
unknown-heartbeat = セッションを確認できませんでした。

## Errors of the `selfban` family

# source: 0ddedf905779bc0b
error-selfban-bad_request = 認証に失敗しました。

# source: 851dfb6d911fe51e
error-selfban-rate_limited = 認証サービスは一時的にご利用いただけません。しばらくしてからもう一度お試しください。

# source: 0ddedf905779bc0b
error-selfban-invalid_app = 認証に失敗しました。

# source: 0224dda7ba1d0f89
error-selfban-replay_detected = サインインを完了できませんでした。もう一度お試しください。

# source: 45e3cb58effde8c3
error-selfban-app_disabled = 認証サービスは一時的にご利用いただけません。

# source: 0ddedf905779bc0b
error-selfban-revoke_requires_session = 認証に失敗しました。

# source: 0cdec2729e612174
error-selfban-invalid_key = ライセンスキーが無効です。確認して、もう一度お試しください。

# source: b529fce2bfae76bd
error-selfban-session_expired = セッションの有効期限が切れました。もう一度サインインしてください。

# source: 851dfb6d911fe51e
error-selfban-system_error = 認証サービスは一時的にご利用いただけません。しばらくしてからもう一度お試しください。

# source: 0ddedf905779bc0b
unknown-selfban = 認証に失敗しました。

## Errors of the `client` family

# source: 9442576cddbe5707
error-client-nonce_mismatch = 認証に失敗しました。しばらくしてからもう一度お試しください。

# source: 9442576cddbe5707
error-client-signature_mismatch = 認証に失敗しました。しばらくしてからもう一度お試しください。

# source: fbfc50cc6f978396
error-client-network_error = 認証サービスに接続できませんでした。インターネット接続を確認して、もう一度お試しください。

# source: 851dfb6d911fe51e
error-client-invalid_response = 認証サービスは一時的にご利用いただけません。しばらくしてからもう一度お試しください。

# source: 0ddedf905779bc0b
unknown-client = 認証に失敗しました。
