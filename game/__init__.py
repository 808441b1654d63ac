"""Cloudbreak, the co-op vertical-scrolling aircraft shooter built on `engine`."""
