"""`sopflow serve | users`: the HTTP API and worklist over a store, and the people who may use them.

`serve` needs the `serve` extra (`pip install 'sopflow[serve]'`). It fires no timers unless asked
(`--worker`); `sopflow worker` does that, and delivers the outbox's webhooks, beside it.
"""

from __future__ import annotations

import getpass
import sys
import threading
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.cli.output import error, printable
from engine.cli.run import guarded
from engine.errors import SopflowError
from engine.locale import LANGUAGES
from engine.persistence import STORE_HELP, open_store, store_location
from engine.persistence.accounts import Accounts, User
from engine.time.clock import SystemClock

MIN_PASSWORD = 8
EXTRA = "pip install 'sopflow[serve]'"


def register(commands: Any) -> None:
    serve = commands.add_parser(
        "serve",
        help="serve the HTTP API and the worklist in the browser",
        description="Serve the HTTP API (/api/v1, documented at /api/v1/docs) and the worklist pages "
        "over a store. Sign in with a user made by `sopflow users add`. Deadlines are fired by `sopflow "
        "worker` (or by this server with --worker).",
    )
    serve.add_argument("--store", metavar="LOCATION", help=STORE_HELP)
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="the port (default 8000)")
    serve.add_argument("--worker", action="store_true", help="also fire due timers and deliver webhooks")
    serve.set_defaults(run=guarded(_serve))

    users = commands.add_parser(
        "users",
        help="the people who may sign in: add, roles, disable, tokens",
        description="Manage the users of `sopflow serve`, kept in the store: who they are, their roles, "
        "their API tokens. A password is asked for on a terminal, else read from the first line of "
        "standard input.",
    )
    sub = users.add_subparsers(dest="action", metavar="ACTION", required=True)

    def action(name: str, handler: Any, help: str) -> Any:
        parser = sub.add_parser(name, help=help, description=help[0].upper() + help[1:])
        parser.add_argument("--store", metavar="LOCATION", help=STORE_HELP)
        parser.set_defaults(run=guarded(handler))
        return parser

    add = action("add", _add, "add a user with a password and roles")
    add.add_argument("user", help="the id the user signs in with")
    add.add_argument("--name", default="", help="the name shown (default: the id)")
    add.add_argument("--role", action="append", required=True, metavar="ROLE", help="a role (repeatable)")
    add.add_argument("--timezone", default="UTC", help="where the user is; their deadlines show in it")
    add.add_argument("--lang", choices=LANGUAGES, default="en", help="the language of their worklist")
    roles = action("roles", _roles, "give a user these roles (instead of theirs)")
    roles.add_argument("user")
    roles.add_argument("--role", action="append", required=True, metavar="ROLE", help="a role (repeatable)")
    for name, handler, help in (
        ("disable", _disable, "stop a user from signing in (their sessions and tokens end)"),
        ("enable", _enable, "let a disabled user sign in again"),
        ("password", _password, "set a user's password"),
    ):
        action(name, handler, help).add_argument("user")
    token = action("token", _token, "make an API token for a user (shown once)")
    token.add_argument("user")
    token.add_argument("--label", default="", help="what the token is for")
    revoke = action("revoke", _revoke, "revoke an API token by its id")
    revoke.add_argument("token_id", metavar="TOKEN-ID")
    action("list", _list, "list the users and the tokens")


def _serve(args: Any) -> int:
    try:
        import uvicorn

        from engine.service.app import create_app
        from engine.service.state import Service
    except ImportError as missing:
        error(f"sopflow serve needs the serve extra ({missing.name} is missing): {EXTRA}")
        return 2
    location = store_location(args.store)
    service = Service(open_store(location), SystemClock())
    stopped: list[int] = []
    if args.worker:
        from argparse import Namespace

        from engine.cli.run import work_loop

        settings = Namespace(store=location, interval=1.0, limit=100, once=False)
        threading.Thread(target=work_loop, args=(settings, stopped), daemon=True, name="worker").start()
    print(f"serving {location} on http://{args.host}:{args.port}/ (stop with Ctrl-C)", flush=True)
    try:
        uvicorn.run(create_app(service), host=args.host, port=args.port, log_level="warning")
    finally:
        stopped.append(1)
        service.store.close()
    return 0


def _accounts(args: Any) -> tuple[Accounts, Any]:
    store = open_store(store_location(args.store))
    return Accounts(store), store


def _new_password(user: str) -> str:
    if sys.stdin.isatty():
        password = getpass.getpass(f"password for {user}: ")
        if getpass.getpass("again: ") != password:
            raise SopflowError("the two passwords differ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < MIN_PASSWORD:
        raise SopflowError(f"a password has at least {MIN_PASSWORD} characters")
    return password


def _hash(password: str) -> str:
    try:
        from engine.service.auth import hash_password
    except ImportError as missing:
        raise SopflowError(f"users need the serve extra ({missing.name} is missing): {EXTRA}") from missing
    return hash_password(password)


def _add(args: Any) -> int:
    try:
        ZoneInfo(args.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        error(f"'{args.timezone}' is not a timezone (an IANA name such as Asia/Shanghai)")
        return 2
    accounts, store = _accounts(args)
    try:
        password = _hash(_new_password(args.user))
        user = User(
            id=args.user,
            name=args.name or args.user,
            roles=frozenset(args.role),
            timezone=args.timezone,
            locale=args.lang,
        )
        accounts.add(user, password, SystemClock().now())
    finally:
        store.close()
    print(printable(f"added {args.user} ({', '.join(sorted(args.role))})"))
    return 0


def _update(args: Any, **change: Any) -> int:
    accounts, store = _accounts(args)
    try:
        accounts.update(args.user, **change)
    finally:
        store.close()
    print(printable(f"{args.user}: updated"))
    return 0


def _roles(args: Any) -> int:
    return _update(args, roles=frozenset(args.role))


def _disable(args: Any) -> int:
    return _update(args, disabled=True)


def _enable(args: Any) -> int:
    return _update(args, disabled=False)


def _password(args: Any) -> int:
    return _update(args, password_hash=_hash(_new_password(args.user)))


def _token(args: Any) -> int:
    from engine.service.auth import new_token

    accounts, store = _accounts(args)
    try:
        if accounts.user(args.user) is None:
            error(f"there is no user '{args.user}'")
            return 2
        token, digest, token_id = new_token()
        accounts.add_token(digest, token_id, args.user, args.label, SystemClock().now())
    finally:
        store.close()
    print(token)
    print(
        f"token {token_id} for {args.user}; it is shown only now (revoke: sopflow users revoke {token_id})",
        file=sys.stderr,
    )
    return 0


def _revoke(args: Any) -> int:
    accounts, store = _accounts(args)
    try:
        revoked = accounts.revoke(args.token_id)
    finally:
        store.close()
    if not revoked:
        error(f"there is no token '{args.token_id}'")
        return 2
    print(f"token {args.token_id} revoked")
    return 0


def _list(args: Any) -> int:
    accounts, store = _accounts(args)
    try:
        users, tokens = accounts.users(), accounts.tokens()
    finally:
        store.close()
    for user in users:
        state = "disabled" if user.disabled else "enabled"
        print(
            printable(
                f"{user.id:<20} {user.name:<24} {','.join(sorted(user.roles)):<40} {user.timezone} {state}"
            )
        )
    for token in tokens:
        state = "revoked" if token.revoked else "valid"
        print(printable(f"token {token.id} {token.user_id:<20} {token.label:<24} {token.created_at} {state}"))
    return 0
