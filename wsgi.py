from eventapp import create_app

app = create_app()
