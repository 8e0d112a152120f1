"""Reports: the progress report (clinical and client), the referral summary and the access-request
PDF, drawn by WeasyPrint from the same templates and SVG as the pages.
"""
