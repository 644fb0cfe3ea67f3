#!/bin/sh
# shout: print the arguments in capitals
echo "$@" | tr '[:lower:]' '[:upper:]'
