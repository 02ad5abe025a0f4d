from careconductor.cli import main

main()
