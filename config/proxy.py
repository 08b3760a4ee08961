"""The client's address behind the README's TLS proxy (login throttling keys on it).

With `TRUSTED_PROXIES = n`, the last n hops of the chain `X-Forwarded-For + [REMOTE_ADDR]` are our
own proxies; the address just before them is the client, as the outermost trusted proxy saw it.
Anything further left came from the client itself and may be forged, so it is never read: an
attacker cannot pose as another address (and so cannot lock that address out, nor escape its own
lockout). With 0 (the default: no proxy), REMOTE_ADDR is the client.
"""

from django.conf import settings


def client_ip(request) -> str:
    chain = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    chain.append(request.META.get("REMOTE_ADDR", ""))
    trusted = settings.TRUSTED_PROXIES
    if trusted <= 0:
        return chain[-1]
    return chain[max(0, len(chain) - 1 - trusted)]
