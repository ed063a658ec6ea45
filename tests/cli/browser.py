"""Headless Chromium for the HTML report tests: Debian's chromium (or
another Chromium on PATH) with networking features off, a throw-away
profile and HOME in the test's temporary folder.  It loads a report from a
file:// URL and dumps its DOM, takes a screenshot or prints it to PDF; the
helpers below read what a reader sees (the text outside tags, styles and
the document head) and count a PDF's pages.  Standard library only; the
poppler tools (pdfinfo, pdftoppm) are used when installed."""
import html
import os
import re
import shutil
import subprocess


def chromium():
    """The browser's path, or None when none is installed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def run(tmp, page, *mode, timeout=120):
    """Runs the browser on the file `page` with the given mode flags
    (--dump-dom, --screenshot=..., --print-to-pdf=...); returns the
    CompletedProcess."""
    profile = os.path.join(tmp, "profile")
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
           "--disable-dev-shm-usage", "--user-data-dir=" + profile, *mode, "file://" + os.path.abspath(page)]
    env = dict(os.environ, HOME=tmp)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


def visible_text(dom):
    """The text of the document's body as a reader gets it: tags, style
    sheets and the head dropped, entities decoded (SVG tooltips stay: a
    reader sees them on hover)."""
    body = dom.split("<body", 1)[-1]
    body = re.sub(r"<style\b.*?</style>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def section(dom, ident):
    """The HTML of <section id="ident">, or ""."""
    m = re.search(r'<section id="%s"[^>]*>.*?</section>' % re.escape(ident), dom, re.S)
    return m.group(0) if m else ""


def pdf_pages(path):
    """The number of pages of a PDF: pdfinfo's count when poppler-utils is
    installed, else its /Type /Page objects (Chromium writes them
    uncompressed)."""
    if shutil.which("pdfinfo"):
        out = subprocess.run(["pdfinfo", path], capture_output=True, text=True, timeout=60).stdout
        m = re.search(r"^Pages:\s+(\d+)", out, re.M)
        if m:
            return int(m.group(1))
    with open(path, "rb") as f:
        return len(re.findall(rb"/Type\s*/Page(?![s\w])", f.read()))
