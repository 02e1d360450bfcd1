"""Every error the bot raises on purpose derives from :class:`BotError`.

The tree::

    BotError
    ├── ConfigError                 settings missing or malformed (one message, every problem)
    ├── ParseError                  an /sdrs command the parser cannot accept (problem + usage)
    └── CloudError                  anything that went wrong talking to SDRS or ECS
        ├── ApiError                the service answered with an HTTP error status
        │   ├── ClientError         4xx: refused; retrying it unchanged will not help
        │   │   ├── AuthError       401/403, or an APIGW.* code: credentials or signature refused
        │   │   ├── NotFoundError   404, or a "does not exist" code (SDRS.1320, SDRS.1902)
        │   │   └── RateLimitedError 429: throttled; ``retry_after`` seconds when the server said so
        │   └── ServerError         5xx: the service failed
        ├── TransportError          no HTTP answer at all (connection refused or dropped, timeout)
        │   └── OutcomeUnknownError a non-idempotent request (the resize POST) may have been applied
        └── ResponseFormatError     a 2xx answer whose body is not what the API reference documents

HTTP failures are converted at the client boundary (``bot.huaweicloud``): callers never see an
``httpx`` exception. Each :class:`CloudError` keeps the method and URL of the request, and an
:class:`ApiError` also the HTTP status, the service's error code, its message and the
``X-Request-Id`` to quote to Huawei support.
"""

from __future__ import annotations

from bot.core.wording import Wording


class BotError(Exception):
    """Root of every error the bot raises deliberately."""


class ConfigError(BotError):
    """The configuration cannot be used; ``problems`` lists every reason, one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid configuration ({len(problems)} problem(s)):\n{lines}")


class ParseError(BotError):
    """The user's command text is not valid: ``wording`` says why, ``usage_wording`` shows the
    form (each translated where it is shown: :mod:`bot.core.wording`); ``problem`` and
    ``usage`` are the same in English."""

    def __init__(self, problem: Wording, usage: Wording) -> None:
        super().__init__(problem.english())
        self.wording = problem
        self.usage_wording = usage

    @property
    def problem(self) -> str:
        return self.wording.english()

    @property
    def usage(self) -> str:
        return self.usage_wording.english()


class CloudError(BotError):
    """A call to a Huawei Cloud API (SDRS or ECS) did not give a usable answer."""

    def __init__(self, message: str, *, method: str = "", url: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.url = url


class ApiError(CloudError):
    """The service answered with an error status and (usually) a documented error body."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str,
        request_id: str | None = None,
        method: str = "",
        url: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, method=method, url=url)
        self.status = status
        self.code = code
        self.request_id = request_id
        self.retry_after = retry_after

    def __str__(self) -> str:
        rid = f", request id {self.request_id}" if self.request_id else ""
        return f"{self.code} (HTTP {self.status}{rid}): {self.message}"


class ClientError(ApiError):
    """4xx: the request was refused."""


class AuthError(ClientError):
    """The credentials, the signature or the permissions were refused."""


class NotFoundError(ClientError):
    """The named resource does not exist (in this project)."""


class RateLimitedError(ClientError):
    """429 Too Many Requests."""


class ServerError(ApiError):
    """5xx: the service failed to handle the request."""


class TransportError(CloudError):
    """No HTTP answer was received (``maybe_sent``: the request may have reached the service -
    a read timeout or a connection broken after sending - else it never left)."""

    def __init__(
        self, message: str, *, method: str = "", url: str = "", maybe_sent: bool = False
    ) -> None:
        super().__init__(message, method=method, url=url)
        self.maybe_sent = maybe_sent


class OutcomeUnknownError(TransportError):
    """A request that must not be repeated blindly was sent, and no reliable answer came back.

    ``hint_wording`` tells the operator what to check before trying again (translated where it
    is shown; None: nothing to say); ``hint`` is its English, for logs.
    """

    def __init__(
        self, message: str, *, hint: Wording | None, method: str = "", url: str = ""
    ) -> None:
        super().__init__(message, method=method, url=url, maybe_sent=True)
        self.hint_wording = hint
        self.hint = hint.english() if hint is not None else ""


class ResponseFormatError(CloudError):
    """The service answered 2xx with a body that does not match the documented shape."""


class CredentialsUnavailable(CloudError):
    """No usable credentials: the source named by ``source`` (e.g. ``ecs-metadata``) could not
    give keys and the last ones have expired (or there never were any). ``reason`` is the last
    refresh failure, without secrets. Nothing was sent to the service."""

    def __init__(self, source: str, reason: str, *, method: str = "", url: str = "") -> None:
        super().__init__(f"no valid credentials from {source}: {reason}", method=method, url=url)
        self.source = source
        self.reason = reason
