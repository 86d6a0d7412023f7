from setuptools import setup

setup(name="nixonly", version="2.1", packages=["nixonly"], install_requires=["nixhelper>=1"])
