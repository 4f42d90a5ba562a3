"""The answer file: model, cross-field rules and loading with positions."""

from installer.site.load import LoadedSite, load_site, load_site_text
from installer.site.model import API_VERSION, Node, Role, SecretRef, Site

__all__ = ["API_VERSION", "LoadedSite", "Node", "Role", "SecretRef", "Site", "load_site", "load_site_text"]
