"""The online platform for Xiamen's quality-infrastructure collaborative service."""
