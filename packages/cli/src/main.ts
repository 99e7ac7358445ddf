console.log('kanshi: not yet');
