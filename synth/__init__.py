"""A synthetic Panzhihua: department extracts with their mess, and the truth behind them."""

from synth.city import write_city
from synth.config import default_rates

__all__ = ["default_rates", "write_city"]
