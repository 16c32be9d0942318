### Keyward's end-user texts in Simplified Chinese (zh-Hans), translated from spec/errors.toml.
###
### Addressing the user: 您 (polite). Friendly and short, as a support agent
### would say it; never an error code. Each `# source:` line is the hash of the
### English text the message translates (see spec/locales/en.ftl); `cargo xtask
### codegen --check` fails when that English changes.

## User actions

# source: 6ee141c987023ebe
action-none = 无需任何操作。

# source: 7fd6cd87ac64e7c4
action-check_key = 请检查您的许可证密钥，然后重试。

# source: 5e2f9bb3374abc25
action-renew = 请续订您的许可证。

# source: c7064f322f375375
action-contact_support = 请联系技术支持。

# source: ef7fbdb092422e65
action-try_later = 请稍后重试。

# source: 176afd02072f8b0f
action-check_connection = 请检查您的网络连接，然后重试。

# source: e30c2ec3ce0121a5
action-sign_in_again = 请重新登录。

## Errors of the `api` family

# source: 1dacc78310fc7b1a
error-api-bad_request = 出了点问题，请稍后重试。

# source: 1dacc78310fc7b1a
error-api-invalid_api_key = 出了点问题，请稍后重试。

# source: 1dacc78310fc7b1a
error-api-no_credits = 出了点问题，请稍后重试。

# source: 1dacc78310fc7b1a
error-api-forbidden = 出了点问题，请稍后重试。

# source: 1dacc78310fc7b1a
error-api-not_found = 出了点问题，请稍后重试。

# source: 1dacc78310fc7b1a
error-api-rate_limited = 出了点问题，请稍后重试。

# source: 1dacc78310fc7b1a
error-api-internal_error = 出了点问题，请稍后重试。

# source: 1dacc78310fc7b1a
unknown-api = 出了点问题，请稍后重试。

## Errors of the `validate` family

# source: 0ddedf905779bc0b
error-validate-invalid_app = 验证失败。

# source: 45e3cb58effde8c3
error-validate-app_disabled = 验证服务暂时不可用。

# source: 0cdec2729e612174
error-validate-invalid_key = 许可证密钥无效，请检查后重试。

# source: 7a44fd27782c0448
error-validate-revoked = 此许可证已被停用，请联系技术支持。

# source: e96bbd7d0c4e7883
error-validate-expired = 您的许可证已过期。

# source: 73f78a427bc38d13
error-validate-hwid_mismatch = 此许可证已在另一台设备上使用。如需重置，请联系技术支持。

# source: 0224dda7ba1d0f89
error-validate-replay_detected = 未能完成登录。请重试。

# source: 851dfb6d911fe51e
error-validate-no_credits = 验证服务暂时不可用，请稍后重试。

# source: 851dfb6d911fe51e
error-validate-app_burn_cap_reached = 验证服务暂时不可用，请稍后重试。

# source: 90f1cd96eb3bcbde
error-validate-blocked = 验证失败，请联系技术支持。

# source: 0ddedf905779bc0b
error-validate-bad_request = 验证失败。

# source: 851dfb6d911fe51e
error-validate-rate_limited = 验证服务暂时不可用，请稍后重试。

# source: 851dfb6d911fe51e
error-validate-internal_error = 验证服务暂时不可用，请稍后重试。

# source: 851dfb6d911fe51e
error-validate-system_error = 验证服务暂时不可用，请稍后重试。

# source: 0ddedf905779bc0b
unknown-validate = 验证失败。

## Errors of the `heartbeat` family

# source: b529fce2bfae76bd
error-heartbeat-session_expired = 登录已过期，请重新登录。

# source: 7a44fd27782c0448
error-heartbeat-revoked = 此许可证已被停用，请联系技术支持。

# source: e96bbd7d0c4e7883
error-heartbeat-expired = 您的许可证已过期。

# source: 45e3cb58effde8c3
error-heartbeat-app_disabled = 验证服务暂时不可用。

# source: 851dfb6d911fe51e
error-heartbeat-no_credits = 验证服务暂时不可用，请稍后重试。

# source: 851dfb6d911fe51e
error-heartbeat-app_burn_cap_reached = 验证服务暂时不可用，请稍后重试。

# source: b995b951c4514b92
error-heartbeat-bad_request = 无法确认您的登录状态。

# source: 851dfb6d911fe51e
error-heartbeat-rate_limited = 验证服务暂时不可用，请稍后重试。

# source: 851dfb6d911fe51e
error-heartbeat-internal_error = 验证服务暂时不可用，请稍后重试。

# source: 851dfb6d911fe51e
error-heartbeat-system_error = 验证服务暂时不可用，请稍后重试。

# source: b995b951c4514b92
unknown-heartbeat = 无法确认您的登录状态。

## Errors of the `selfban` family

# source: 0ddedf905779bc0b
error-selfban-bad_request = 验证失败。

# source: 851dfb6d911fe51e
error-selfban-rate_limited = 验证服务暂时不可用，请稍后重试。

# source: 0ddedf905779bc0b
error-selfban-invalid_app = 验证失败。

# source: 0224dda7ba1d0f89
error-selfban-replay_detected = 未能完成登录。请重试。

# source: 45e3cb58effde8c3
error-selfban-app_disabled = 验证服务暂时不可用。

# source: 0ddedf905779bc0b
error-selfban-revoke_requires_session = 验证失败。

# source: 0cdec2729e612174
error-selfban-invalid_key = 许可证密钥无效，请检查后重试。

# source: b529fce2bfae76bd
error-selfban-session_expired = 登录已过期，请重新登录。

# source: 851dfb6d911fe51e
error-selfban-system_error = 验证服务暂时不可用，请稍后重试。

# source: 0ddedf905779bc0b
unknown-selfban = 验证失败。

## Errors of the `client` family

# source: 9442576cddbe5707
error-client-nonce_mismatch = 验证失败，请稍后重试。

# source: 9442576cddbe5707
error-client-signature_mismatch = 验证失败，请稍后重试。

# source: fbfc50cc6f978396
error-client-network_error = 无法连接到验证服务。请检查您的网络连接，然后重试。

# source: 851dfb6d911fe51e
error-client-invalid_response = 验证服务暂时不可用，请稍后重试。

# source: 0ddedf905779bc0b
unknown-client = 验证失败。
