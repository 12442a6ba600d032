"""A realistic month for the supervisors' dashboard: ``python -m services.demo`` (``make demo``).

Runs the whole product in this process (a fresh embedded database directory, or with ``--configured`` the database
and broker of the environment), shifts :mod:`shared.clock` back and walks forward to the present through the last
``--days`` days: enterprises file complaints through ``POST /v1/complaints`` (Chinese texts generated from templates
per department, so the router spreads them across the catalog), handlers work them through the lifecycle endpoints
(claim, accept, contact, answer — most on time, some late, a few returned as misrouted or forgotten), the dispatcher
places what the router sent to triage, and filers rate the answers (some 不满意, which reopens the complaint).

Deadlines run for days (10 days, 5 working days, counted from receipt), longer than a short demo: in a walk of
``--days 10`` no complaint could be overdue yet nor answered late. So whatever ``--days``, a few complaints
(:data:`SHOWCASE`) are filed further back, early enough that their deadlines and a late answer after them pass before
the present: some left unanswered (overdue at the end), some answered late, some returned by their first department
and re-routed, some reopened after a 不满意 rating. Handlers plan on-time and late answers around the deadline the SLA
service sets, computed with the same policies, policy set and calendar (:class:`Deadlines`).

Everything goes through HTTP on the address of the environment's settings (``HOST``/``PORT``, default
127.0.0.1:8000; ``--host``/``--port`` override them); the routing, deadlines, escalations and the dashboard's figures
are the product's own. Afterwards the product keeps serving (the dashboard at ``/dashboard``, a supervisor token is
printed) unless ``--exit`` is given.

The command line is ``cli.py``, the walk ``walk.py``, what it plans ``plan.py`` and what the enterprises write
``texts.py``.
"""

