from cartcost.cli import main

main()
