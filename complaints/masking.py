"""Masking of customers' personal data for the people who do not need it (pure functions)."""


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678; short numbers keep only their last two digits."""
    if len(phone) >= 11:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    return "*" * max(len(phone) - 2, 0) + phone[-2:] if phone else ""


def mask_id_number(value: str) -> str:
    """320102199001011234 → 320***********1234."""
    if len(value) > 7:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    return "*" * len(value)


def masked_customer(*, name: str, phone: str, id_number: str, visible: bool) -> dict[str, str]:
    """The customer fields as a viewer may see them."""
    if visible:
        return {"customer_name": name, "customer_phone": phone, "customer_id_number": id_number}
    return {
        "customer_name": mask_name(name),
        "customer_phone": mask_phone(phone),
        "customer_id_number": mask_id_number(id_number),
    }
