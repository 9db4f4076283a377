"""Secrets and limits shared by the features: the site's secret key and keys derived from it, random
tokens stored only as digests (``keys``), and throttles that hold across processes (``throttle``)."""
