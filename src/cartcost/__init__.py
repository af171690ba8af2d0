"""cartcost: what CAR-T cell therapy really costs, all in, per country."""

__all__ = ["__version__"]

__version__ = "0.1.0"
