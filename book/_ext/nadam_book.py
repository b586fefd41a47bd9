"""A small Sphinx extension for the book: MathJax on every page, and the stylesheet that keeps wide content in view.

Sphinx adds MathJax only to pages that contain math; the sidebar and the pages without math (references, results)
then show raw TeX such as ``\\(L_\\infty\\)``. ``html_assets_policy = "always"`` loads it everywhere.
"""


def setup(app):
    app.set_html_assets_policy("always")
    app.add_css_file("nadam_ref.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
