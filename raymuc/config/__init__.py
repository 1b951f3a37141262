"""RayMUC configuration: one TOML file shaped like MongooseIM's, validated fully at load."""
from .load import ConfigError, load_config, parse_config
from .model import Config
from .reference import reference_markdown

__all__ = ["Config", "ConfigError", "load_config", "parse_config", "reference_markdown"]
