#!/bin/sh
if [ "$#" -eq 0 ]; then
  set -- nothing to say
fi
echo "$*" | tr 'a-z' 'A-Z'
