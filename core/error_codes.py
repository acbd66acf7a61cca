"""Every machine-readable error code the application answers with, in one place (Saleor's habit).

An API error body is `{"code": ErrorCode, "message": str, "fields": {field: [str, …]}}`; `code` is for
programs and never changes meaning, `message` is the Chinese sentence for the person.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    """A stable error code; its `default_message` is said when nothing more precise is known."""

    INVALID = "invalid"
    PARSE_ERROR = "parse_error"
    RULE_VIOLATED = "rule_violated"
    NOT_AUTHENTICATED = "not_authenticated"
    AUTHENTICATION_FAILED = "authentication_failed"
    PERMISSION_DENIED = "permission_denied"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_ACCEPTABLE = "not_acceptable"
    CONFLICT = "conflict"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    THROTTLED = "throttled"
    SERVER_ERROR = "server_error"
    SERVICE_UNAVAILABLE = "service_unavailable"

    @property
    def default_message(self) -> str:
        return DEFAULT_MESSAGES[self]


DEFAULT_MESSAGES = {
    ErrorCode.INVALID: "提交的数据有误，请按各字段的提示修改。",
    ErrorCode.PARSE_ERROR: "请求内容无法解析，请检查格式（应为 JSON）。",
    ErrorCode.RULE_VIOLATED: "该操作不符合业务规则，未执行。",
    ErrorCode.NOT_AUTHENTICATED: "请先登录，或在请求头中提供 API 令牌（Authorization: Token …）。",
    ErrorCode.AUTHENTICATION_FAILED: "身份验证失败：令牌无效或用户已停用。",
    ErrorCode.PERMISSION_DENIED: "您没有执行该操作的权限。",
    ErrorCode.NOT_FOUND: "找不到请求的内容，或您无权查看。",
    ErrorCode.METHOD_NOT_ALLOWED: "该地址不支持此请求方法。",
    ErrorCode.NOT_ACCEPTABLE: "无法按请求的格式返回结果。",
    ErrorCode.CONFLICT: "数据已被他人修改，本次未保存，请刷新后再试。",
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: "不支持该请求内容类型，请使用 application/json。",
    ErrorCode.THROTTLED: "请求过于频繁，请稍后再试。",
    ErrorCode.SERVER_ERROR: "服务器内部错误，已记录，请稍后再试。",
    ErrorCode.SERVICE_UNAVAILABLE: "系统暂时无法连接数据库，请稍后再试。",
}

# (code, what it means) for the API schema's ErrorCodeEnum (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
ERROR_CODE_CHOICES = [(code.value, code.default_message) for code in ErrorCode]
