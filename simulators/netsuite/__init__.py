"""Fake NetSuite (SuiteTalk REST): records, transforms, SuiteQL, TBA, concurrency governance.

models.py holds the account's state and NetSuite's rules, responses.py the HTTP adapter and its
route table, auth.py token-based authentication, suiteql.py the SQL mirror behind SuiteQL.
"""
from simulators.netsuite.auth import TbaCredentials
from simulators.netsuite.models import NetSuiteError, NetSuiteSettings
from simulators.netsuite.responses import NetSuiteSimulator, host_for

__all__ = ["NetSuiteSimulator", "TbaCredentials", "NetSuiteSettings", "NetSuiteError", "host_for"]
