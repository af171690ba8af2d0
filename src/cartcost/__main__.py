from cartcost.cli import run

run()
