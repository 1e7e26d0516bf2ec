"""A griffe extension for the API reference: Sphinx roles in docstrings become cross-references.

The docstrings write references the way Sphinx and ``help()`` readers expect, e.g.
``:func:`~splinecam_widget.colors.region_colors``` or ``:class:`Partition```. mkdocstrings
renders Markdown, so each role is rewritten, when the package is loaded, into an optional
autorefs link: a link where the target is on a page of the site, plain code otherwise
(private helpers have no page). A name is looked up as Sphinx would: absolute
(``splinecam_widget.x``), relative to the module (``.x``), or in the scope of the object whose
docstring holds it. ``~`` shows only the last part of the name.
"""

from __future__ import annotations

import html
import re

import griffe

ROLE = re.compile(r":(?:py:)?(?:func|meth|class|attr|data|mod|exc|obj|const):`(?P<tilde>~?)(?P<target>[^`<>]+)`")


def _full_path(obj: griffe.Object, target: str) -> str:
    """The full dotted path of ``target`` as written in a docstring of ``obj`` (best effort)."""
    target = target.strip().rstrip("()")
    if target.startswith("."):  # relative to the docstring's module
        module = obj if obj.is_module else obj.module
        package = module.path if module.is_init_module else module.path.rsplit(".", 1)[0]
        dots = len(target) - len(target.lstrip("."))
        base = package.rsplit(".", dots - 1)[0] if dots > 1 else package
        return f"{base}.{target.lstrip('.')}"
    if target.startswith(obj.package.path + ".") or target == obj.package.path:
        return target
    head, _, rest = target.partition(".")
    for scope in (obj, obj.parent, obj.module):
        if scope is None:
            continue
        try:
            resolved = scope.resolve(head)
        except (griffe.NameResolutionError, AttributeError, ValueError):
            continue
        return f"{resolved}.{rest}" if rest else resolved
    return target


def _rewrite(obj: griffe.Object) -> None:
    docstring = obj.docstring
    if docstring is None or ":`" not in docstring.value:
        return

    def link(match: re.Match) -> str:
        target = match["target"].strip()
        shown = target.rsplit(".", 1)[-1] if match["tilde"] else target.lstrip(".")
        identifier = html.escape(_full_path(obj, target), quote=True)
        return f'<autoref identifier="{identifier}" optional><code>{html.escape(shown)}</code></autoref>'

    docstring.value = ROLE.sub(link, docstring.value)


class SphinxRoles(griffe.Extension):
    """Rewrite Sphinx roles in every docstring of the package once it is loaded."""

    def on_package(self, *, pkg: griffe.Module, **kwargs) -> None:
        """Walk the package's modules, classes, functions and attributes."""
        stack: list[griffe.Object] = [pkg]
        while stack:
            obj = stack.pop()
            _rewrite(obj)
            stack.extend(member for member in obj.members.values() if not member.is_alias)
