"""The project's wiring: what needs both apps and belongs to neither — the home page that sends each user to
their desk, and the demo data (manage.py load_demo, generate_national). The core (navportal) imports no app;
the apps import the core; this imports all three."""
