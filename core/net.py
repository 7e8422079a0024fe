"""The client's address, behind nginx or not."""

from django.conf import settings


def client_ip(request) -> str | None:
    """REMOTE_ADDR, or nginx's X-Real-IP when the portal runs behind it (BEHIND_PROXY).

    Only the proxy's own header is trusted (nginx overwrites it with the connecting address), never
    a client-supplied X-Forwarded-For, which anyone can set to dodge a lockout.
    """
    if request is None:
        return None
    if settings.BEHIND_PROXY:
        real_ip = request.META.get("HTTP_X_REAL_IP", "").strip()
        if real_ip:
            return real_ip
    return request.META.get("REMOTE_ADDR") or None
