"""Sphinx extension: a chapter's launch and download buttons open its learner edition.

The HTML book shows each chapter solved (solutions in dropdowns). What a learner *runs*
is the learner edition, ``learner/NAME.ipynb`` (``make learner``): the exercises unsolved,
no outputs, plain Jupyter Markdown. For every page ``book/NAME`` that has one, this
extension

* points the Binder and Colab buttons (sphinx-book-theme's ``launch-buttons``) at
  ``learner/NAME.ipynb`` in the repository instead of ``book/NAME.ipynb``;
* points the ``.ipynb`` download button at a copy of the learner notebook, which it puts
  in ``_learner/`` of the built site;
* writes a note under the chapter's title saying which edition the buttons open and
  where the solved notebook is.

A chapter page without a learner notebook is a build error, so that no button silently
opens the solutions.
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path

from sphinx.errors import ExtensionError

CHAPTERS = "book/"          # pages whose buttons are rewritten
LEARNER = "learner"         # the learner edition's folder in the repository
COPY = "_learner"           # where the learner notebooks are copied in the built site


def _learner_notebook(app, pagename: str) -> str | None:
    """``NAME.ipynb`` for a chapter page ``book/NAME`` built from a notebook, else None."""
    if not pagename.startswith(CHAPTERS):
        return None
    name = pagename[len(CHAPTERS):] + ".ipynb"
    if not (Path(app.srcdir) / CHAPTERS / name).exists():
        return None                      # a Markdown page (bibliography, notation, ...)
    if not (Path(app.srcdir) / LEARNER / name).exists():
        raise ExtensionError(f"{pagename}: no learner edition {LEARNER}/{name}; run `make learner`")
    return name


def edition_note(repo_url: str, branch: str, name: str) -> str:
    """The HTML note put under a chapter's title."""
    blob = f"{repo_url.rstrip('/')}/blob/{branch}"
    learner = f'<a href="{html.escape(f"{blob}/{LEARNER}/{name}")}">{LEARNER}/{name}</a>'
    solved = f'<a href="{html.escape(f"{blob}/{CHAPTERS}{name}")}">{CHAPTERS}{name}</a>'
    return (
        '<div class="admonition note edition-note">\n'
        '<p class="admonition-title">Which notebook the buttons open</p>\n'
        '<p>The launch buttons (Binder, Colab) and the <code>.ipynb</code> download at the top '
        f'of this page open the <strong>learner edition</strong> of this chapter, {learner}: '
        'the exercises are unsolved and there are no outputs, so you run it yourself. This page '
        'shows the solved chapter, with each solution in a dropdown; its notebook, with the '
        f'outputs shown here, is {solved} in the repository.</p>\n</div>\n')


def _retarget(app, pagename, templatename, context, doctree):
    name = _learner_notebook(app, pagename)
    if name is None:
        return
    source, target = f"{CHAPTERS}{name}", f"{LEARNER}/{name}"
    launch = download = False
    for group in context.get("header_buttons", []):
        if group.get("label") == "launch-buttons":
            for button in group["buttons"]:
                if source in button.get("url", ""):
                    button["url"] = button["url"].replace(source, target)
                    button["tooltip"] = f"{button.get('tooltip', '')} (learner edition)".strip()
                    launch = True
        elif group.get("label") == "download-buttons":
            for button in group["buttons"]:
                # The source file is the notebook: sphinx-book-theme's "download source"
                # button (a "download notebook" one appears for pages converted to one).
                if button.get("url", "").endswith(".ipynb"):
                    button["url"] = f"{context['pathto'](COPY, 1)}/{name}"
                    button["text"] = ".ipynb (learner edition)"
                    button["tooltip"] = "Download the learner edition (exercises unsolved)"
                    download = True
    if not (launch and download):
        raise ExtensionError(f"{pagename}: the launch or the download button was not found; "
                             "sphinx-book-theme's header buttons changed")
    body = context.get("body", "")
    end = body.find("</h1>")
    if end < 0:
        raise ExtensionError(f"{pagename}: no <h1> title to put the edition note under")
    end += len("</h1>")
    theme = app.config.html_theme_options
    note = edition_note(theme.get("repository_url", ""), theme.get("repository_branch", "main"),
                        name)
    context["body"] = body[:end] + "\n" + note + body[end:]


def _copy_learner_notebooks(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir) / COPY
    out.mkdir(exist_ok=True)
    for notebook in sorted((Path(app.srcdir) / LEARNER).glob("*.ipynb")):
        shutil.copyfile(notebook, out / notebook.name)


def setup(app):
    # After sphinx-book-theme's add_launch_buttons / add_source_buttons (priority 501).
    app.connect("html-page-context", _retarget, priority=600)
    app.connect("build-finished", _copy_learner_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
