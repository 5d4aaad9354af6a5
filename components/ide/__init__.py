"""The workshop IDE component; its bootstrap template lives beside it."""

from components.ide.ide import WorkshopIde, WorkshopIdeArgs, render_bootstrap

__all__ = ["WorkshopIde", "WorkshopIdeArgs", "render_bootstrap"]
