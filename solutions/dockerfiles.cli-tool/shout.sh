#!/bin/sh
# Print all the arguments on one line, upper-cased.
echo "$*" | tr 'a-z' 'A-Z'
