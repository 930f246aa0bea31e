"""The gRPC errors EventStoreDB returns, with its status codes, messages and trailers.

Clients parse some of these messages (esdbclient looks for "is deleted", "WrongExpectedVersion"
and "Actual version: -1"), so the wording matters, not just the code.
"""
from __future__ import annotations

import grpc

Trailers = tuple[tuple[str, str], ...]

# ASP.NET Core's answer when a handler throws: EventStoreDB's answer to structurally broken input
# (an append that does not start with options, a UUID that does not parse).
HANDLER_EXCEPTION = "Exception was thrown by handler."
REQUIRED_METADATA = ("type", "content-type")


class RpcError(Exception):
    """An error to end the current call with."""

    def __init__(self, code: grpc.StatusCode, details: str, trailers: Trailers = ()) -> None:
        super().__init__(details)
        self.code = code
        self.details = details
        self.trailers = trailers


def stream_deleted(stream: str) -> RpcError:
    """The stream was tombstoned (or, for some operations, is soft-deleted)."""
    return RpcError(grpc.StatusCode.FAILED_PRECONDITION, f"Event stream '{stream}' is deleted.",
                    (("exception", "stream-deleted"), ("stream-name", stream)))


def wrong_expected_version(operation: str, stream: str, expected: int, actual: int) -> RpcError:
    """Delete/Tombstone with an expected version the stream is not at."""
    return RpcError(
        grpc.StatusCode.FAILED_PRECONDITION,
        f"{operation} failed due to WrongExpectedVersion. Stream: {stream}, "
        f"Expected version: {expected}, Actual version: {actual}",
        (("exception", "wrong-expected-version"), ("stream-name", stream),
         ("expected-version", str(expected)), ("actual-version", str(actual))),
    )


def handler_exception() -> RpcError:
    """Input so malformed that EventStoreDB's handler throws."""
    return RpcError(grpc.StatusCode.UNKNOWN, HANDLER_EXCEPTION)


def invalid_argument(value: object, type_name: str) -> RpcError:
    """A oneof or enum with a value EventStoreDB does not accept."""
    return RpcError(grpc.StatusCode.INVALID_ARGUMENT, f"'{value}' is not a valid {type_name}")


def required_argument(name: str, type_name: str) -> RpcError:
    """A field EventStoreDB needs is missing."""
    return RpcError(grpc.StatusCode.INVALID_ARGUMENT, f"'{name}' is a required argument of type {type_name}")


def invalid_combination(combination: tuple[str, ...]) -> RpcError:
    """A read request whose options do not make a valid read."""
    return RpcError(grpc.StatusCode.INVALID_ARGUMENT,
                    f"The combination of ({', '.join(combination)}) is invalid.")


def required_metadata_missing(prop: str) -> RpcError:
    """A proposed event without its "type" or "content-type"."""
    return RpcError(grpc.StatusCode.INVALID_ARGUMENT, f"Required Metadata Property '{prop}' is missing",
                    (("exception", "missing-required-metadata-property"),
                     ("required-metadata-properties", ",".join(REQUIRED_METADATA))))


def max_append_size_exceeded(max_size: int) -> RpcError:
    """The events of one append are too big together."""
    return RpcError(grpc.StatusCode.INVALID_ARGUMENT, f"Maximum Append Size of {max_size} Exceeded.",
                    (("exception", "maximum-append-size-exceeded"), ("maximum-append-size", str(max_size))))


def invalid_filter(message: str) -> RpcError:
    """A read filter that cannot be compiled."""
    return RpcError(grpc.StatusCode.INVALID_ARGUMENT, message)


def unavailable(message: str) -> RpcError:
    """Storage failed or the server is stopping; nothing was written, a retry is safe."""
    return RpcError(grpc.StatusCode.UNAVAILABLE, message)

