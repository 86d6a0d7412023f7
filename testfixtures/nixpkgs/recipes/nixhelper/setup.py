from setuptools import setup

setup(name="nixhelper", version="1.0", packages=["nixhelper"])
