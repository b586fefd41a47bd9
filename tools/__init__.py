"""What builds and checks the docs: the notebook generator, the book build and its browser check (not part of the
package: run them from the repository root, e.g. ``python -m tools.notebooks``)."""
