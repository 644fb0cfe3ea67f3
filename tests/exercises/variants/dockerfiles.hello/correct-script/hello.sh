#!/bin/sh
printf 'Hello container\n'
