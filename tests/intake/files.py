"""Small files of each kind for the attachment tests, recognisable by their first bytes as real files are, and files
that must be refused whatever they are named (executables, markup)."""

from __future__ import annotations


def jpeg(n: int = 0, size: int = 2048) -> bytes:
    head = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return _padded(head, n, size)


def png(n: int = 0, size: int = 2048) -> bytes:
    return _padded(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02", n, size)


def webp(n: int = 0, size: int = 2048) -> bytes:
    return _padded(b"RIFF" + (size - 8).to_bytes(4, "little") + b"WEBPVP8 ", n, size)


def heic(n: int = 0, size: int = 2048) -> bytes:
    return _padded(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", n, size)


def pdf(n: int = 0, size: int = 2048) -> bytes:
    return _padded(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", n, size)


def _padded(head: bytes, n: int, size: int) -> bytes:
    """``head``, then ``n`` (so each ``n`` is another file), then filler up to ``size`` bytes."""
    body = head + n.to_bytes(4, "big")
    return body + bytes(i % 251 for i in range(max(0, size - len(body))))


#: Each accepted kind, by the media type it is recorded as, with a name that says otherwise (the name is never read).
ACCEPTED = {
    "image/jpeg": ("scan.pdf", jpeg),
    "image/png": ("photo.jpg", png),
    "image/webp": ("IMG_0001.png", webp),
    "image/heic": ("IMG_0002.jpg", heic),
    "application/pdf": ("营业执照.jpg", pdf),
}

#: Files to refuse, each named as a photo: a Linux executable (ELF), a Windows one (PE), a page, a drawing with script.
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + bytes(2000)
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(44) + b"\x80\x00\x00\x00" + bytes(2000)
HTML = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
REFUSED = {"elf": ELF, "pe": PE, "html": HTML, "svg": SVG}
