"""Masking of personal data for lists and public pages."""


def mask_phone(phone: str | None) -> str:
    """138****5678: enough to recognise a number, not enough to call it."""
    if not phone:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


def mask_name(name: str | None) -> str:
    """张** — the surname only, as staff and public pages show residents."""
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)
