hello docker, please run my greet.py thank you
