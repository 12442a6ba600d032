"""Follow-up calls (回访): after every answer to a filer who left a contact, the service center's follow-up staff
(回访员) call the filer and record what they hear — reached or not, solved or not, 满意 / 基本满意 / 不满意.

``rules.py`` holds the policy (which answers are called, by when, how many calls), ``tasks.py`` the commands (the
task an answer opens, the queue, the audited contact read, the result) and ``http.py`` the JSON endpoints.
"""
